"""Request plumbing: the tenant from the host, and the gate in front of each service's pages and API."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import DisallowedHost
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from mutualise.plugins import get_registry
from mutualise.services import request_services
from tenants import resolution


def unknown_host(request: HttpRequest) -> HttpResponse:
    """The French 404 page for a host that belongs to no commune of this instance."""
    request.commune = None
    return render(request, "mutualise/unknown_host.html", status=404)


class TenantMiddleware:
    """Point the connection at the schema of the commune named by the host (or at the public schema).

    Sets ``request.commune`` (``None`` on the community host) and ``request.tenant``. Resolution is answered from
    :mod:`tenants.resolution`'s in-memory map, so a warm request costs no query; the schema is switched only when
    it differs from the one the connection is already on.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            host = request.get_host()
        except DisallowedHost:
            return unknown_host(request)
        target = resolution.resolve(host)
        if target is None:
            return unknown_host(request)
        if target is resolution.PUBLIC:
            request.commune = None
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            if connection.schema_name != settings.PUBLIC_SCHEMA_NAME:
                connection.set_schema_to_public()
            request.tenant = connection.tenant
        else:
            request.commune = target
            # Switching resets the search path (one SET statement): skip it when the connection is already there.
            if connection.schema_name != target.schema_name or not connection.include_public_schema:
                connection.set_tenant(target)
            request.tenant = target
        return self.get_response(request)


def service_of(request: HttpRequest) -> str | None:
    """The slug of the service whose URL namespace the request resolved into, if any."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    registry = get_registry()
    return next((ns for ns in match.namespaces if ns in registry), None)


class ServiceGateMiddleware:
    """Refuse a service's pages and API on a commune host when the commune does not subscribe to it.

    Pages answer with the French "service non souscrit" page, the API with a JSON error; both 403.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        commune = getattr(request, "commune", None)
        slug = service_of(request)
        if commune is None or slug is None or slug in request_services(request):
            return None
        service = get_registry().get(slug)
        message = _("Le service « %(service)s » n'est pas souscrit par la commune de %(commune)s.") % {
            "service": service.label,
            "commune": commune.name,
        }
        if "api" in request.resolver_match.namespaces:
            return JsonResponse({"detail": message, "code": "service_non_souscrit"}, status=403)
        return render(
            request,
            "mutualise/service_not_subscribed.html",
            {"service": service, "message": message},
            status=403,
        )


class AccessMiddleware(LoginRequiredMiddleware):
    """Every page needs a login (the API answers for itself); a commune's pages need a right in that commune.

    A right in a commune: a role in it, a role in one of the services it subscribes to, or being a community
    administrator. Anyone else gets the French 403 page, whatever their session says.
    """

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match is not None and "api" in match.namespaces:
            return None  # DRF authenticates and answers 401/403 in JSON
        response = super().process_view(request, view_func, view_args, view_kwargs)
        if response is not None or not getattr(view_func, "login_required", True):
            return response
        commune = getattr(request, "commune", None)
        if commune is not None and not user_may_enter(request.user, commune, request):
            return render(request, "403.html", status=403)
        return None


def user_may_enter(user, commune, request: HttpRequest | None = None) -> bool:
    """Whether ``user`` has any right in ``commune`` (see :class:`AccessMiddleware`)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff or user.commune_memberships.filter(commune=commune).exists():
        return True
    enabled = request_services(request) if request is not None else None
    services = user.service_memberships.values_list("service", flat=True)
    return any(slug in enabled for slug in services) if enabled is not None else False
