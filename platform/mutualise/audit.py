"""The audit log: one function writes it, inside the caller's transaction."""

from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from mutualise.models import AuditEntry


def _jsonable(value: Any) -> Any:
    return None if value is None else json.loads(json.dumps(value, cls=DjangoJSONEncoder))


_current_request: ContextVar = ContextVar("mutualise_audit_request", default=None)


@contextmanager
def acting_request(request):
    """Within this block, entries written without an explicit ``actor`` are attributed to the request's user."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def _request_user():
    request = _current_request.get()
    user = getattr(request, "user", None) if request is not None else None
    return user if user is not None and user.is_authenticated else None


def _anonymous_label() -> str:
    return "anonyme" if _current_request.get() is not None else "système"


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
    if actor is None:
        actor = _request_user()
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        actor=user,
        actor_label=user.email if user else (str(actor) if actor else _anonymous_label()),
        action=action,
        commune=commune,
        service=service,
        target=str(target)[:255],
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )
