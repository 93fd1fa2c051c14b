"""Inviting people by e-mail: issuing the link, sending it, and granting its roles when it is accepted.

The link carries a random secret; only its SHA-256 digest is stored (as for API tokens, see ``tokens.py``), so a
copy of the database cannot be used to accept an invitation. A link is valid for ``Invitation.VALIDITY_DAYS``
days, once. Sending it again issues a new secret: the previous link stops working.

The acceptance page lives on one host: the commune's when the invitation gives a commune role, the console's
otherwise; the person is signed in there.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualise import audit
from mutualise.accounts.models import CommuneMembership, CommuneRole, Invitation, ServiceMembership, User
from mutualise.plugins import get_registry
from tenants import resolution

logger = logging.getLogger(__name__)

SECRET_MAX_LENGTH = 100  # longer path segments are not ours: refused before hashing anything


def digest(secret: str) -> str:
    # The secret is 256 random bits: a plain hash is enough, no need for a slow password hash.
    return hashlib.sha256(secret.encode()).hexdigest()


def console_url() -> str:
    return f"{settings.MUTUALISE_URL_SCHEME}://{settings.MUTUALISE_BASE_DOMAIN}/"


def target_commune(invitation: Invitation):
    """The commune whose host the link opens on, or ``None`` for the console."""
    return invitation.commune if invitation.commune_id and invitation.commune_role else None


def acceptance_url(invitation: Invitation, secret: str) -> str:
    commune = target_commune(invitation)
    urlconf = settings.ROOT_URLCONF if commune is not None else settings.PUBLIC_SCHEMA_URLCONF
    path = reverse("invitation_accept", kwargs={"token": secret}, urlconf=urlconf)
    base = commune.url if commune is not None else console_url()
    return base.rstrip("/") + path


def service_label(slug: str) -> str:
    registry = get_registry()
    return registry.get(slug).label if slug in registry else slug


def roles_summary(invitation: Invitation) -> list[str]:
    """The roles the invitation grants, in French, one per item."""
    roles = []
    if invitation.commune_id and invitation.commune_role:
        roles.append(
            _("%(role)s — commune de %(commune)s")
            % {"role": CommuneRole(invitation.commune_role).label, "commune": invitation.commune.name}
        )
    if invitation.service and invitation.service_role:
        roles.append(
            _("%(role)s — service « %(service)s »")
            % {"role": invitation.get_service_role_display(), "service": service_label(invitation.service)}
        )
    if invitation.is_admin:
        roles.append(_("Administrateur de la communauté"))
    return roles


def with_roles(invitations) -> list[Invitation]:
    """The invitations as a list, each with ``roles``: its :func:`roles_summary` (no query: communes are joined)."""
    invitations = list(invitations)
    for invitation in invitations:
        invitation.roles = roles_summary(invitation)
    return invitations


def _snapshot(invitation: Invitation) -> dict:
    return {
        "commune": invitation.commune.name if invitation.commune_id else None,
        "role_commune": invitation.commune_role or None,
        "service": invitation.service or None,
        "role_service": invitation.service_role or None,
        "administrateur": invitation.is_admin,
        "expire_le": invitation.expires_at,
    }


def _new_secret(invitation: Invitation) -> str:
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    invitation.digest = digest(secret)
    invitation.sent_at = now
    invitation.expires_at = now + datetime.timedelta(days=Invitation.VALIDITY_DAYS)
    return secret


def _send(invitation: Invitation, secret: str) -> bool:
    """Send the invitation e-mail; ``False`` if the mail server refused it (the invitation stays, to send again)."""
    context = {
        "invitation": invitation,
        "url": acceptance_url(invitation, secret),
        "roles": roles_summary(invitation),
        "inviter": invitation.created_by,
        "instance_name": resolution.instance_name(),
        "commune": target_commune(invitation),
    }
    subject = " ".join(render_to_string("accounts/invitation_subject.txt", context).split())
    body = render_to_string("accounts/invitation_email.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("Invitation de %s non envoyée : %r", invitation.email, error)
        return False
    return True


def create_invitation(
    *,
    email: str,
    created_by: User,
    first_name: str = "",
    last_name: str = "",
    commune=None,
    commune_role: str = "",
    service: str = "",
    service_role: str = "",
    is_admin: bool = False,
) -> tuple[Invitation, bool]:
    """Record an invitation and send it. Returns it and whether the e-mail went out."""
    invitation = Invitation(
        email=email.strip().lower(),
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        commune=commune if commune_role else None,
        commune_role=commune_role if commune is not None else "",
        service=service if service_role else "",
        service_role=service_role if service else "",
        is_admin=is_admin,
        created_by=created_by,
    )
    secret = _new_secret(invitation)
    invitation.save()
    audit.record(
        "invitation.envoyee",
        actor=created_by,
        commune=invitation.commune,
        service=invitation.service,
        target=invitation.email,
        after=_snapshot(invitation),
    )
    return invitation, _send(invitation, secret)


def resend_invitation(invitation: Invitation, *, actor: User) -> bool:
    """Send a pending (or expired) invitation again, with a new link valid for the full delay."""
    secret = _new_secret(invitation)
    invitation.save(update_fields=["digest", "sent_at", "expires_at"])
    audit.record(
        "invitation.renvoyee",
        actor=actor,
        commune=invitation.commune,
        service=invitation.service,
        target=invitation.email,
        after=_snapshot(invitation),
    )
    return _send(invitation, secret)


def cancel_invitation(invitation: Invitation, *, actor: User) -> None:
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    audit.record(
        "invitation.annulee",
        actor=actor,
        commune=invitation.commune,
        service=invitation.service,
        target=invitation.email,
        before=_snapshot(invitation),
    )


def find_invitation(secret: str) -> Invitation | None:
    """The invitation whose link carries ``secret`` (whatever its state), or ``None``."""
    if not secret or len(secret) > SECRET_MAX_LENGTH:
        return None
    return Invitation.objects.select_related("commune", "created_by").filter(digest=digest(secret)).first()


def creator_may_still_grant(invitation: Invitation) -> bool:
    """Whether the person who invited still holds the right to grant these roles (else the invitation is void)."""
    creator = invitation.created_by
    if creator is None or not creator.is_active:
        return False
    if creator.is_staff:
        return True
    return (
        invitation.grants_only_commune_role
        and CommuneMembership.objects.filter(
            user=creator, commune_id=invitation.commune_id, role=CommuneRole.REFERENT
        ).exists()
    )


def problem_with(invitation: Invitation | None, commune) -> str | None:
    """Why this invitation cannot be accepted on the host of ``commune`` (French), or ``None`` if it can."""
    if invitation is None:
        return _("Ce lien d'invitation n'existe pas. Vérifiez qu'il a été copié en entier depuis le message reçu.")
    if invitation.accepted_at is not None:
        return _(
            "Cette invitation a déjà été acceptée. Connectez-vous avec votre adresse e-mail et votre mot de passe."
        )
    if invitation.cancelled_at is not None:
        return _("Cette invitation a été annulée. Adressez-vous à la personne qui vous a invité.")
    if invitation.is_expired:
        return _(
            "Cette invitation a expiré. Demandez à la personne qui vous a invité de vous l'envoyer de nouveau : "
            "le nouveau lien sera valable %(days)s jours."
        ) % {"days": Invitation.VALIDITY_DAYS}
    expected = target_commune(invitation)
    if (expected.id if expected is not None else None) != (commune.id if commune is not None else None):
        return _("Ce lien d'invitation ne s'ouvre pas à cette adresse. Utilisez le lien exact du message reçu.")
    if not creator_may_still_grant(invitation):
        return _(
            "Cette invitation n'est plus valable : la personne qui l'a envoyée n'a plus le droit de donner ces "
            "rôles. Adressez-vous au référent de votre commune ou à l'intercommunalité."
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if existing is not None and not existing.is_active:
        return _("Le compte lié à cette adresse est désactivé. Adressez-vous à l'intercommunalité.")
    return None


def grant(invitation: Invitation, user: User) -> None:
    """Give ``user`` the roles of ``invitation``; each change is audited by the accounts signals."""
    actor = invitation.created_by or user
    reason = _("Invitation acceptée par %(email)s") % {"email": user.email}
    if invitation.commune_id and invitation.commune_role:
        membership = CommuneMembership.objects.filter(user=user, commune_id=invitation.commune_id).first()
        membership = membership or CommuneMembership(user=user, commune_id=invitation.commune_id)
        if membership.pk is None or membership.role != invitation.commune_role:
            membership.role = invitation.commune_role
            membership._audit_actor, membership._audit_reason = actor, reason
            membership.save()
    if invitation.service and invitation.service_role:
        membership = ServiceMembership.objects.filter(user=user, service=invitation.service).first()
        membership = membership or ServiceMembership(user=user, service=invitation.service)
        if membership.pk is None or membership.role != invitation.service_role:
            membership.role = invitation.service_role
            membership._audit_actor, membership._audit_reason = actor, reason
            membership.save()
    if invitation.is_admin and not user.is_staff:
        user.is_staff = user.is_superuser = True
        user._audit_actor, user._audit_reason = actor, reason
        user.save(update_fields=["is_staff", "is_superuser"])


def mark_accepted(invitation: Invitation, user: User, *, created: bool) -> None:
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        "invitation.acceptee",
        actor=user,
        commune=invitation.commune,
        service=invitation.service,
        target=invitation.email,
        after={**_snapshot(invitation), "compte_cree": created},
    )
