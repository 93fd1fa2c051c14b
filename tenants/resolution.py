"""Which commune a host name belongs to, answered from memory.

Each process keeps the whole host → commune map (one query loads it). A change to a commune or a domain bumps a
generation number in the shared cache; processes compare it with their own at most every
``MUTUALISE_TENANT_CACHE_CHECK_SECONDS`` and reload when it moved. The process that made the change reloads at once.
So a warm request resolves its tenant with no database query.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models.signals import post_delete, post_save

GENERATION_KEY = "tenants:host-map:generation"
PUBLIC = object()  # the community space, on the base domain


@dataclass
class _HostMap:
    generation: str | None = None
    hosts: dict = field(default_factory=dict)
    checked_at: float = 0.0
    loaded: bool = False


_map = _HostMap()
_lock = threading.Lock()


def normalise_host(host: str) -> str:
    """Lower-case host name without port or trailing dot (``Gignac.LOCALHOST:8000`` → ``gignac.localhost``)."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal, [::1]:8000
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


def public_host() -> str:
    """The host name of the community space."""
    return normalise_host(settings.MUTUALISE_BASE_DOMAIN)


def _load(generation: str | None) -> None:
    from django.db import connection
    from django_tenants.utils import schema_context

    from tenants.models import Domain

    # The public schema is on every search path but one that excludes it on purpose.
    on_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME or connection.include_public_schema
    with nullcontext() if on_public else schema_context(settings.PUBLIC_SCHEMA_NAME):
        hosts = {d.domain.lower(): d.tenant for d in Domain.objects.select_related("tenant")}
    _map.hosts, _map.generation, _map.loaded = hosts, generation, True
    _map.checked_at = time.monotonic()


def resolve(host: str):
    """Return the commune served on ``host``, :data:`PUBLIC` for the community space, or ``None`` if unknown.

    The returned commune is shared by the requests of this process: treat it as read-only.
    """
    name = normalise_host(host)
    if name == public_host():
        return PUBLIC
    now = time.monotonic()
    if not _map.loaded or now - _map.checked_at >= settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS:
        with _lock:
            generation = caches["platform"].get(GENERATION_KEY)
            if not _map.loaded or generation != _map.generation:
                _load(generation)
            _map.checked_at = now
    return _map.hosts.get(name)


def invalidate() -> None:
    """Forget the host map here and in every process sharing the cache (after the current transaction commits)."""

    def bump() -> None:
        caches["platform"].set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        _map.loaded = False

    _map.loaded = False  # this process sees its own change at once, committed or not
    transaction.on_commit(bump)


def reset() -> None:
    """Forget this process's map (the next resolution reloads it)."""
    _map.loaded = False


def _changed(sender, **kwargs) -> None:
    invalidate()


def connect_signals() -> None:
    """Invalidate the map whenever a commune or a domain is saved or deleted."""
    from tenants.models import Commune, Domain

    for model in (Commune, Domain):
        post_save.connect(_changed, sender=model, dispatch_uid=f"tenants-host-map-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"tenants-host-map-delete-{model.__name__}")


def _intercommunality_changed(sender, **kwargs) -> None:
    from mutualise.context_processors import INSTANCE_NAME_KEY

    transaction.on_commit(lambda: caches["platform"].delete(INSTANCE_NAME_KEY))


def connect_intercommunality_signal() -> None:
    """Forget the cached instance name when the intercommunality is saved."""
    from tenants.models import Intercommunality

    post_save.connect(_intercommunality_changed, sender=Intercommunality, dispatch_uid="tenants-instance-name")
