"""Issuing, checking and revoking personal API tokens (``mut_<prefix>_<secret>``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.utils import timezone

from mutualise import audit
from mutualise.accounts.models import ApiToken

TOKEN_RE = re.compile(r"^mut_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})$")
LAST_USED_PRECISION = timedelta(minutes=1)  # at most one write per token and minute


def _digest(token: str) -> str:
    # The secret is 256 random bits: a plain hash is enough, no need for a slow password hash.
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user, name: str, commune=None, *, actor=None) -> tuple[ApiToken, str]:
    """Create a token for ``user`` valid on ``commune``'s space (``None``: the community space).

    Returns the record and the token itself, which is not stored and cannot be shown again.
    """
    prefix = secrets.token_hex(6)
    token = f"mut_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiToken.objects.create(
        user=user, name=name.strip()[:100], commune=commune, prefix=prefix, digest=_digest(token)
    )
    audit.record(
        "jeton.cree",
        actor=actor or user,
        commune=commune,
        target=str(record),
        after={"utilisateur": user.email, "nom": record.name},
    )
    return record, token


def find_token(token: str) -> ApiToken | None:
    """The active token record matching ``token``, or ``None``."""
    match = TOKEN_RE.match(token or "")
    if not match:
        return None
    record = ApiToken.objects.select_related("user").filter(prefix=match[1], revoked_at__isnull=True).first()
    if record is None or not hmac.compare_digest(record.digest, _digest(token)):
        return None
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


def revoke_token(record: ApiToken, *, actor=None) -> None:
    """Revoke ``record`` for good (idempotent)."""
    if record.revoked_at is not None:
        return
    record.revoked_at = timezone.now()
    record.save(update_fields=["revoked_at"])
    audit.record(
        "jeton.revoque",
        actor=actor,
        commune=record.commune,
        target=str(record),
        after={"utilisateur": record.user.email},
    )
