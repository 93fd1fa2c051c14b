"""The core's own pages: the two home pages, login, errors, and the landing page every service reuses."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView

from mutualise.access import Policy, access
from mutualise.plugins import get_registry
from mutualise.services import request_services


@access(Policy.SPACE)
def commune_home(request: HttpRequest) -> HttpResponse:
    """The commune's dashboard: the services it subscribes to, and those it could ask for."""
    enabled = request_services(request)
    services = list(get_registry())
    return render(
        request,
        "mutualise/commune_home.html",
        {
            "subscribed": [s for s in services if s.slug in enabled],
            "available": [s for s in services if s.slug not in enabled],
        },
    )


@access(Policy.SPACE)
def community_home(request: HttpRequest) -> HttpResponse:
    """The community console's home: every commune with the services it subscribes to (two queries)."""
    from tenants.models import Commune, Subscription

    today = timezone.localdate()
    in_force = Subscription.objects.in_force(today)
    communes = list(
        Commune.objects.order_by("name").prefetch_related(
            Prefetch("subscriptions", queryset=in_force, to_attr="current_subscriptions")
        )
    )
    registry = get_registry()
    labels = {s.slug: s.label for s in registry}
    per_service = dict.fromkeys(labels, 0)
    for commune in communes:
        commune.service_labels = sorted(labels[s.service] for s in commune.current_subscriptions if s.service in labels)
        for subscription in commune.current_subscriptions:
            if subscription.service in per_service:
                per_service[subscription.service] += 1
    return render(
        request,
        "mutualise/community_home.html",
        {
            "communes": communes,
            "engaged": sum(1 for c in communes if c.service_labels),
            "services": [(s, per_service[s.slug]) for s in registry],
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


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the error may come from the database they read.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)


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
