"""Request plumbing: the tenant from the host, and the gate in front of each service's pages and API."""

from __future__ import annotations

import functools
import logging

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedHost
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from mutualise import audit
from mutualise.access import Outcome, Policy, decide, policy_of, request_rights
from mutualise.accounts.sessions import session_matches_host
from mutualise.plugins import get_registry
from mutualise.services import request_services
from tenants import resolution

logger = logging.getLogger(__name__)


# Raw host (as the request names it) → whether ALLOWED_HOSTS accepts it. The check depends on the settings alone and
# costs more than the rest of the tenant resolution; it is remembered (bounded: hosts come from requests) and
# forgotten when those settings change. Later middleware (CommonMiddleware) still calls request.get_host().
_allowed_hosts: dict[str, bool] = {}
_HOST_SETTINGS = frozenset({"ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST", "USE_X_FORWARDED_PORT"})


def _forget_allowed_hosts(setting: str, **kwargs) -> None:
    if setting in _HOST_SETTINGS:
        _allowed_hosts.clear()


setting_changed.connect(_forget_allowed_hosts, dispatch_uid="mutualise-forget-allowed-hosts")


def allowed_host(request: HttpRequest) -> str | None:
    """``request.get_host()``, or ``None`` when ``ALLOWED_HOSTS`` refuses the host (``DisallowedHost``)."""
    raw = request._get_raw_host()
    allowed = _allowed_hosts.get(raw)
    if allowed is None:
        try:
            allowed = request.get_host() == raw
        except DisallowedHost:
            allowed = False
        if len(_allowed_hosts) >= 1024:
            _allowed_hosts.clear()
        _allowed_hosts[raw] = allowed
    return raw if allowed else None


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
        host = allowed_host(request)
        if host is None:
            return unknown_host(request)
        target = resolution.resolve(host)
        if target is None:
            return unknown_host(request)
        db = connections[DEFAULT_DB_ALIAS]  # the thread's connection, looked up once
        if target is resolution.PUBLIC:
            request.commune = None
            request.urlconf = settings.PUBLIC_SCHEMA_URLCONF
            if db.schema_name != settings.PUBLIC_SCHEMA_NAME:
                db.set_schema_to_public()
            request.tenant = db.tenant
        else:
            request.commune = target
            # Switching resets the search path (one SET statement): skip it when the connection is already there.
            if db.schema_name != target.schema_name or not db.include_public_schema:
                db.set_tenant(target)
            request.tenant = target
        return self.get_response(request)


# What a view sets on its response to change its Content-Security-Policy (django-csp's decorators).
_PER_RESPONSE_CSP = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_config_ro",
    "_csp_update",
    "_csp_update_ro",
    "_csp_replace",
    "_csp_replace_ro",
)


@functools.cache
def _csp_header(report_only: bool) -> tuple[str, tuple[str, ...]]:
    """The policy built from the settings alone, and the URL prefixes it excludes: django-csp builds it on every
    response (a fifth of a one-query request's Python); here once, and again when those settings change."""
    name = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
    prefixes = tuple((getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
    return build_policy(report_only=report_only), prefixes


def _forget_csp(setting: str, **kwargs) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _csp_header.cache_clear()


setting_changed.connect(_forget_csp, dispatch_uid="mutualise-forget-csp")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, the policy of a response no view changed built once instead of every time.

    A response that a view changed (``@csp_update``, ``@csp_replace``, ``@csp_override``, ``@csp_exempt``), or whose
    page used a nonce, goes through django-csp's own code, as does every response when ``DEBUG`` is on.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, name) for name in _PER_RESPONSE_CSP)
        ):
            return super().process_response(request, response)
        for report_only, header in ((False, HEADER), (True, HEADER_REPORT_ONLY)):
            policy, excluded = _csp_header(report_only)
            if policy and header not in response and not request.path_info.startswith(excluded):
                response[header] = policy
        # As django-csp: a nonce asked for after the header is written is an error, not a silent gap in the policy.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


def service_of(request: HttpRequest) -> str | None:
    """The slug of the service whose URL namespace the request resolved into, if any."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None
    registry = get_registry()
    return next((ns for ns in match.namespaces if ns in registry), None)


class HostBoundAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's authentication, except that a session only counts on the host it was opened on.

    Cookies are host-only, so a browser never sends commune A's session to commune B; this makes a copied cookie
    worthless too: replayed on another host, it is an anonymous visit.
    """

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        user = request.user
        request.user = SimpleLazyObject(lambda: user if session_matches_host(request) else AnonymousUser())


class AccessMiddleware:
    """Apply the access policy of the route (see :mod:`mutualise.access`) before its view runs.

    Not signed in: the login page. Signed in without the right: the French 403 page, or the "service non souscrit"
    page for a commune's own people when the commune does not subscribe to the service. API routes are judged by
    ``mutualise.api.PolicyPermission``, with the same rules, once DRF has authenticated the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with audit.acting_request(request):
            return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if "api" in match.namespaces:
            return None
        policy = policy_of(match)
        if policy is None:
            logger.error("Route sans politique d'accès déclarée : %s", match.route)
            return render(request, "403.html", status=403)
        if policy is Policy.PUBLIC:
            return None
        commune = getattr(request, "commune", None)
        service = service_of(request)
        enabled = request_services(request)
        rights = request_rights(request)
        outcome = decide(policy, rights, commune=commune, service=service, enabled=enabled, method=request.method)
        if outcome is Outcome.ALLOW:
            return None
        if outcome is Outcome.LOGIN:
            response = redirect_to_login(request.get_full_path(), resolve_url(settings.LOGIN_URL))
        elif (
            commune is not None
            and service is not None
            and service not in enabled
            and decide(Policy.SPACE, rights, commune=commune, enabled=enabled) is Outcome.ALLOW
        ):
            response = service_not_subscribed(request, commune, service)  # the commune's own people learn why
        else:
            response = render(request, "403.html", status=403)
        response.access_outcome = outcome  # read by the isolation tests: refused here, not by the view
        return response


def service_not_subscribed_message(commune, slug: str) -> str:
    service = get_registry().get(slug)
    return _("Le service « %(service)s » n'est pas souscrit par la commune de %(commune)s.") % {
        "service": service.label,
        "commune": commune.name,
    }


def service_not_subscribed(request: HttpRequest, commune, slug: str) -> HttpResponse:
    """The French 403 page for a service the commune does not subscribe to; its data is kept meanwhile."""
    return render(
        request,
        "mutualise/service_not_subscribed.html",
        {"service": get_registry().get(slug), "message": service_not_subscribed_message(commune, slug)},
        status=403,
    )
