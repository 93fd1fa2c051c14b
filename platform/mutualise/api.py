"""The API's authentication, access rule and error format, shared by every service's viewsets."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from mutualise.access import Outcome, Policy, access, decide, policy_of, request_rights
from mutualise.accounts.tokens import find_token
from mutualise.middleware import service_not_subscribed_message, service_of
from mutualise.services import request_services


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Bearer mut_…``: a personal token, accepted only on the space it is bound to."""

    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization mal formé : « Bearer <jeton> » attendu."))
        try:
            token = find_token(parts[1].decode("ascii"))
        except UnicodeDecodeError:
            token = None
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Jeton d'API invalide ou révoqué."))
        commune = getattr(request._request, "commune", None)
        if token.commune_id != (commune.id if commune is not None else None):
            raise exceptions.AuthenticationFailed(_("Ce jeton d'API n'est pas valable pour cet espace."))
        return token.user, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class PolicyPermission(BasePermission):
    """The access policy of the route (:mod:`mutualise.access`), decided for the user DRF authenticated."""

    def has_permission(self, request, view) -> bool:
        django_request = request._request
        policy = getattr(view, "access_policy", None) or policy_of(django_request.resolver_match)
        if policy is None:
            raise exceptions.PermissionDenied(_("Cette adresse n'a pas de règle d'accès."))
        commune = getattr(django_request, "commune", None)
        service = service_of(django_request)
        enabled = request_services(django_request)
        outcome = decide(
            policy,
            request_rights(django_request, request.user),
            commune=commune,
            service=service,
            enabled=enabled,
            method=request.method,
        )
        if outcome is Outcome.ALLOW:
            return True
        if outcome is Outcome.LOGIN:
            error = exceptions.NotAuthenticated()
        elif commune is not None and service is not None and service not in enabled:
            error = exceptions.PermissionDenied(
                service_not_subscribed_message(commune, service), code="service_non_souscrit"
            )
        else:
            error = exceptions.PermissionDenied()
        error.access_outcome = outcome
        raise error


def exception_handler(exc, context):
    """DRF's error responses, with the machine-readable ``code`` next to the French ``detail``."""
    from rest_framework.views import exception_handler as drf_exception_handler  # DRF's settings import this module

    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Introuvable."))  # Django's message names the model, in English
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(getattr(exc, "detail", None), exceptions.ErrorDetail):
        response.data = {"detail": str(exc.detail), "code": exc.detail.code}
    if response is not None and hasattr(exc, "access_outcome"):
        response.access_outcome = exc.access_outcome  # as AccessMiddleware does for pages
    return response


@csrf_exempt  # writes nothing: a POST to an unknown address gets the same 404
@access(Policy.PUBLIC)  # says only that nothing is there, whoever asks
def not_found(request, *args, **kwargs) -> JsonResponse:
    """Any address under ``api/v1/`` that no route matches: the API's 404, in JSON, not the HTML page."""
    return JsonResponse({"detail": str(_("Adresse inconnue dans l'API.")), "code": "not_found"}, status=404)
