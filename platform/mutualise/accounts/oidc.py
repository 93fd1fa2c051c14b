"""Login with ProConnect (OpenID Connect): the account from the e-mail, the commune from the SIRET.

mozilla-django-oidc runs the authorization code flow; this module decides who the person is here. The account is
found by e-mail (created on the first login) and, when the organisation the provider names (``siret`` or ``siren``
claim) is one of the communes, the person becomes one of its agents. The intercommunality's own agents get no role
automatically: an administrator gives them their service roles. The session itself is opened by
``django.contrib.auth.login``, so the ``user_logged_in`` signal binds it to the host and audits it as any login.
"""

from __future__ import annotations

import functools
import logging
import time

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import redirect, resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from mutualise import audit
from mutualise.access import Outcome, Policy, decide, rights_of
from mutualise.accounts.models import CommuneMembership, CommuneRole, User
from mutualise.services import request_services
from tenants.models import Commune, Intercommunality

logger = logging.getLogger(__name__)

# mozilla-django-oidc's endpoint settings, and the discovery document's names for them.
ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
RETRY_AFTER_SECONDS = 30  # after a failed read, the provider is not asked again before this delay
_discovered: dict[str, dict] = {}  # issuer → its discovery document, once read successfully
_failed_at: dict[str, float] = {}


def discover(issuer: str) -> dict:
    """The provider's discovery document, read once per process; ``{}`` while the provider cannot be reached."""
    if issuer in _discovered:
        return _discovered[issuer]
    if time.monotonic() - _failed_at.get(issuer, -RETRY_AFTER_SECONDS) < RETRY_AFTER_SECONDS:
        return {}
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        document = response.json()
        if not all(isinstance(document.get(name), str) for name in ENDPOINTS.values()):
            raise ValueError("document incomplet")
    except (requests.RequestException, ValueError) as error:
        logger.warning("Configuration OpenID Connect illisible à %s : %r", url, error)
        _failed_at[issuer] = time.monotonic()
        return {}
    _discovered[issuer] = document
    return document


def provider_setting(attr: str, *default):
    """A mozilla-django-oidc setting; the provider's endpoints come from its discovery document unless set."""
    if attr in ENDPOINTS and not hasattr(settings, attr):
        return discover(settings.MUTUALISE_OIDC_ISSUER).get(ENDPOINTS[attr])
    return import_from_settings(attr, *default)


def is_enabled() -> bool:
    """Whether the ProConnect login is configured (read at each call, so that tests may switch it on)."""
    return settings.MUTUALISE_OIDC_ENABLED


def only_when_enabled(view):
    """``view``, answering 404 while ProConnect is off: its routes always exist, its settings may not."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def siren_of(claims: dict) -> str:
    """The SIREN of the person's organisation: the first 9 digits of ``siret``, else ``siren``; ``""`` if neither."""
    siret = str(claims.get("siret") or "").replace(" ", "")
    siren = siret[:9] if siret else str(claims.get("siren") or "").replace(" ", "")
    return siren if len(siren) == 9 and siren.isdigit() else ""


class ProConnectBackend(OIDCAuthenticationBackend):
    """The account of the person ProConnect vouches for, and their commune role derived from their organisation.

    As with the local login, nobody gets a session in a space where they have no right.
    """

    get_settings = staticmethod(provider_setting)

    def __init__(self, *args, **kwargs):
        # Django instantiates every backend for every password login: the provider's endpoints are only looked up
        # when a ProConnect callback needs them, so that an unreachable provider never slows the local login.
        self.OIDC_OP_TOKEN_ENDPOINT = self.OIDC_OP_USER_ENDPOINT = self.OIDC_OP_JWKS_ENDPOINT = None
        self.OIDC_RP_CLIENT_ID = self.get_settings("OIDC_RP_CLIENT_ID")
        self.OIDC_RP_CLIENT_SECRET = self.get_settings("OIDC_RP_CLIENT_SECRET")
        self.OIDC_RP_SIGN_ALGO = self.get_settings("OIDC_RP_SIGN_ALGO", "RS256")
        self.OIDC_RP_IDP_SIGN_KEY = self.get_settings("OIDC_RP_IDP_SIGN_KEY", None)
        self.UserModel = User

    def authenticate(self, request, **kwargs):
        if request is None or not request.GET.get("code"):
            return None  # not an OpenID Connect callback: a password login, say
        for attr in ("OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_USER_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT"):
            setattr(self, attr, self.get_settings(attr, None))
        if not (self.OIDC_OP_TOKEN_ENDPOINT and self.OIDC_OP_JWKS_ENDPOINT):
            return None  # the provider is unreachable
        # A token that fails its checks is a refused login (French message on the login page), not a 400 page.
        try:
            user = super().authenticate(request, **kwargs)
        except (SuspiciousOperation, requests.RequestException) as error:
            logger.warning("Connexion ProConnect refusée : %s", error)
            return None
        commune = getattr(request, "commune", None)
        if (
            user is not None
            and decide(Policy.SPACE, rights_of(user), commune=commune, enabled=request_services(request))
            is not Outcome.ALLOW
        ):
            request.proconnect_refusal = _(
                "Ce compte n'a pas accès à cet espace. Connectez-vous à l'adresse de votre commune, ou demandez un "
                "accès au référent de la commune ou à l'intercommunalité."
            )
            return None
        return user

    def verify_token(self, token, **kwargs):
        # mozilla-django-oidc checks the signature and the nonce only: a token must also come from our provider and
        # be meant for us (OpenID Connect Core 3.1.3.7). This serves the ID token, which always names both, and
        # ProConnect's signed userinfo, which should: a claim that is present must match.
        payload = super().verify_token(token, **kwargs)
        issuer, audience = payload.get("iss"), payload.get("aud")
        if issuer is not None and str(issuer).rstrip("/") != settings.MUTUALISE_OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("Jeton OpenID Connect d'un autre émetteur.")
        if audience is not None and self.OIDC_RP_CLIENT_ID not in (
            audience if isinstance(audience, list) else [audience]
        ):
            raise SuspiciousOperation("Jeton OpenID Connect destiné à un autre client.")
        return payload

    def verify_claims(self, claims) -> bool:
        # The e-mail is the account's identifier: without one there is nobody to sign in.
        return bool(claims.get("email"))

    def create_user(self, claims) -> User:
        user = User.objects.create_user(
            email=claims["email"],  # no password: this person signs in with ProConnect (or resets one)
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("usual_name") or "")[:150],
        )
        return self.update_user(user, claims)

    def update_user(self, user: User, claims) -> User:
        """What every ProConnect login does, first or not: the commune role, and an audit entry."""
        if not user.is_active:
            return user  # the callback refuses a deactivated account: grant nothing to it
        siren = siren_of(claims)
        commune = Commune.objects.filter(siren=siren).first() if siren else None
        role = None
        if commune is not None:
            # get_or_create never touches an existing membership, so a référent or lecteur keeps their role.
            membership, _created = CommuneMembership.objects.get_or_create(
                user=user, commune=commune, defaults={"role": CommuneRole.AGENT}
            )
            role = membership.role
        elif siren and Intercommunality.objects.filter(siren=siren).exists():
            logger.info(
                "Connexion ProConnect de %s (intercommunalité) : rôles à attribuer par un administrateur.", user.email
            )
        else:
            logger.warning(
                "Connexion ProConnect de %s : SIREN « %s » d'aucune commune, aucun rôle attribué.", user.email, siren
            )
        audit.record(
            "connexion.oidc",
            actor=user,
            commune=getattr(self.request, "commune", None),
            target=user.email,
            after={"siren": siren, "commune": commune.name if commune else None, "role": role},
        )
        return user


class AuthenticateView(OIDCAuthenticationRequestView):
    """The ProConnect button: off to the provider, or back to the login page if it cannot be reached."""

    get_settings = staticmethod(provider_setting)

    def get(self, request):
        if not self.OIDC_OP_AUTH_ENDPOINT:
            messages.error(request, _("ProConnect est momentanément indisponible : utilisez votre mot de passe."))
            return redirect(settings.LOGIN_URL)
        return super().get(request)


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer. A failure (refusal, deactivated account…) returns to the login page with a message."""

    get_settings = staticmethod(provider_setting)

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def login_failure(self):
        reason = getattr(self.request, "proconnect_refusal", None)
        messages.error(self.request, reason or _("La connexion avec ProConnect n'a pas abouti."))
        return super().login_failure()
