"""The audit log: one function writes it, inside the caller's transaction."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from mutualise.models import AuditEntry


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def record(
    action: str,
    *,
    actor: Any = None,
    commune: Any = None,
    service: str = "",
    target: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Write an audit entry and return it. Its table lives in the public schema, on every search path.

    ``actor`` is a user or ``None`` (the system, a command); ``before``/``after`` are JSON-able snapshots.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=user.email if user else (str(actor) if actor else "système"),
        action=action,
        commune=commune,
        service=service,
        target=str(target)[:255],
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )
