"""The core's own pages: the two home pages, login, errors, and the landing page every service reuses."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from mutualise.access import Policy, access
from mutualise.models import AuditEntry
from mutualise.plugins import get_registry
from mutualise.services import request_services


@access(Policy.SPACE)
def commune_home(request: HttpRequest) -> HttpResponse:
    """The commune's dashboard: its services with their widgets, those it could ask for, and recent activity."""
    from tenants.models import SubscriptionRequest

    registry = get_registry()
    enabled = request_services(request)
    subscribed = [
        (service, registry.call(service.slug, "mutualise_dashboard_widgets", request=request, space="commune") or [])
        for service in registry
        if service.slug in enabled
    ]
    pending = {
        r.service: r
        for r in SubscriptionRequest.objects.filter(commune=request.commune, status=SubscriptionRequest.Status.PENDING)
    }
    available = [(service, pending.get(service.slug)) for service in registry if service.slug not in enabled]
    activity = (
        AuditEntry.objects.filter(commune=request.commune)
        .exclude(action__startswith="connexion")
        .exclude(action="deconnexion")[:8]
    )
    return render(
        request,
        "mutualise/commune_home.html",
        {"subscribed": subscribed, "available": available, "activity": activity},
    )


@access(Policy.SPACE)
@require_POST
def ask_for_service(request: HttpRequest, slug: str) -> HttpResponse:
    """A commune asks the intercommunality for a service it does not subscribe to."""
    from tenants.subscriptions import request_service

    if slug not in get_registry():
        raise Http404("Service inconnu.")
    try:
        request_service(request.commune, slug, user=request.user, message=request.POST.get("message", "")[:2000])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Votre demande pour le service « %(service)s » est transmise à l'intercommunalité.")
            % {"service": get_registry().get(slug).label},
        )
    return redirect("home")


@access(Policy.SPACE)
def community_home(request: HttpRequest) -> HttpResponse:
    """The console's home: the headline of the bilan, each service's subscribers, and what awaits an answer.

    A service agent sees the services they work for; a community administrator sees them all.
    """
    from mutualise.access import request_rights
    from tenants.models import SubscriptionRequest
    from tenants.subscriptions import subscription_matrix

    registry = get_registry()
    matrix = subscription_matrix()
    rights = request_rights(request)
    mine = [s for s in matrix.services if rights.is_admin or s.slug in rights.service_roles]
    pending = (
        SubscriptionRequest.objects.filter(status=SubscriptionRequest.Status.PENDING).count() if rights.is_admin else 0
    )
    return render(
        request,
        "mutualise/community_home.html",
        {
            "matrix": matrix,
            "services": [
                (
                    s,
                    matrix.count(s.slug),
                    registry.call(s.slug, "mutualise_dashboard_widgets", request=request, space="community") or [],
                )
                for s in mine
            ],
            "pending": pending,
        },
    )


class ServiceLandingView(TemplateView):
    """A service's landing page in a commune's space; the template is ``<slug>/index.html``."""

    def get_template_names(self) -> list[str]:
        return [f"{self.request.resolver_match.namespace}/index.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["service"] = get_registry().get(self.request.resolver_match.namespace)
        return context


@access(Policy.PUBLIC)
def health(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: answers without touching the database."""
    return JsonResponse({"statut": "ok"})


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "400.html", status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "403.html", status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "404.html", status=404)


def database_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database cannot be reached now (down, restarting, no free connection)."""
    import psycopg
    from django.db import InterfaceError, OperationalError

    try:
        from psycopg_pool import PoolTimeout
    except ImportError:  # the pool is optional
        PoolTimeout = psycopg.OperationalError  # noqa: N806

    return isinstance(error, OperationalError | InterfaceError | psycopg.OperationalError | PoolTimeout)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or 503 while the database cannot be reached; in JSON under ``/api/``.

    Django calls it while handling the exception, so ``sys.exc_info()`` names it. The layout, but no context
    processors: the error may come from the database they read.
    """
    import sys

    from django.template import loader

    unavailable = database_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    if request.path.startswith("/api/"):
        if unavailable:
            body = {
                "detail": str(_("Service momentanément indisponible : réessayez dans quelques instants.")),
                "code": "service_indisponible",
            }
        else:
            body = {"detail": str(_("Erreur du serveur : elle a été enregistrée.")), "code": "erreur_serveur"}
        response: HttpResponse = JsonResponse(body, status=status)
    else:
        context = {"instance_name": "Mutualise", "request": request}
        response = HttpResponse(loader.get_template(f"{status}.html").render(context), status=status)
    if unavailable:
        response["Retry-After"] = "15"
    return response


class ServiceCommunityView(TemplateView):
    """A service's home in the community console: the communes subscribing to it today (one query)."""

    template_name = "mutualise/service_community.html"

    def get_context_data(self, **kwargs):
        from tenants.models import Commune, Subscription

        service = get_registry().get(self.request.resolver_match.namespace)
        subscriptions = (
            Subscription.objects.in_force()
            .filter(service=service.slug)
            .select_related("commune")
            .order_by("commune__name")
        )
        return super().get_context_data(
            service=service, subscriptions=subscriptions, commune_total=Commune.objects.count(), **kwargs
        )
