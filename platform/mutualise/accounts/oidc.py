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

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.shortcuts import resolve_url
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from mutualise import audit
from mutualise.accounts.models import CommuneMembership, CommuneRole, User
from tenants.models import Commune, Intercommunality

logger = logging.getLogger(__name__)


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
    """The account of the person ProConnect vouches for, and their commune role derived from their organisation."""

    def authenticate(self, request, **kwargs):
        # A token that fails its checks is a refused login (French message on the login page), not a 400 page.
        try:
            return super().authenticate(request, **kwargs)
        except SuspiciousOperation as error:
            logger.warning("Connexion ProConnect refusée : %s", error)
            return None

    def verify_token(self, token, **kwargs):
        # mozilla-django-oidc checks the signature and the nonce only: a token must also come from our provider and
        # be meant for us (OpenID Connect Core 3.1.3.7). It verifies the ID token and, with ProConnect, userinfo.
        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if str(payload.get("iss", "")).rstrip("/") != settings.MUTUALISE_OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("Jeton OpenID Connect d'un autre émetteur.")
        if self.OIDC_RP_CLIENT_ID not in audiences:
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
                "Connexion ProConnect de %s (intercommunalité) : rôles à attribuer par un administrateur.", user
            )
        else:
            logger.warning(
                "Connexion ProConnect de %s : SIREN « %s » d'aucune commune, aucun rôle attribué.", user, siren
            )
        audit.record(
            "connexion.oidc",
            actor=user,
            commune=getattr(self.request, "commune", None),
            target=user.email,
            after={"siren": siren, "commune": commune.name if commune else None, "role": role},
        )
        return user


class CallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer. A failure (refusal, deactivated account…) returns to the login page with a message."""

    @property
    def failure_url(self) -> str:
        return resolve_url(settings.LOGIN_URL)

    def login_failure(self):
        messages.error(self.request, _("La connexion avec ProConnect n'a pas abouti."))
        return super().login_failure()
