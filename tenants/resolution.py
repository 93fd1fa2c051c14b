"""Which commune a host name belongs to, answered from memory.

Each process keeps a directory in memory: every host name with its commune, and the instance's name. Any change to
a commune, a domain or the intercommunality bumps a version number in the database, in the same transaction. A
process compares that number with its own at most every ``MUTUALISE_TENANT_CACHE_CHECK_SECONDS`` (one tiny query),
and reloads the directory when it moved; the process that made the change reloads at once. So a warm request
resolves its tenant with no query, and every process sees a committed change within that delay, with or without a
shared cache.
"""

from __future__ import annotations

import functools
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.signals import setting_changed
from django.db import connection
from django.db.models import F
from django.db.models.signals import post_delete, post_save

PUBLIC = object()  # the community space, on the base domain


@dataclass
class _Directory:
    version: int | None = None
    hosts: dict = field(default_factory=dict)
    instance_name: str = "Mutualise"
    checked_at: float = 0.0
    loaded: bool = False


_directory = _Directory()
_lock = threading.Lock()


def normalise_host(host: str) -> str:
    """Lower-case host name without port or trailing dot (``Gignac.LOCALHOST:8000`` → ``gignac.localhost``)."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal, [::1]:8000
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0].rstrip(".") if ":" in host else host.rstrip(".")


_names: dict[str, str] = {}  # host as received → normalise_host() of it: a pure function, remembered
_MAX_NAMES = 1024  # hosts come from requests: the memory is bounded


@functools.cache
def _config() -> tuple[str, float]:
    """The two settings read on every request: the normalised MUTUALISE_BASE_DOMAIN and
    MUTUALISE_TENANT_CACHE_CHECK_SECONDS, read once (again when a test changes them)."""
    return normalise_host(settings.MUTUALISE_BASE_DOMAIN), settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS


def _forget_config(setting: str, **kwargs) -> None:
    if setting in {"MUTUALISE_BASE_DOMAIN", "MUTUALISE_TENANT_CACHE_CHECK_SECONDS"}:
        _config.cache_clear()


setting_changed.connect(_forget_config, dispatch_uid="tenants-resolution-forget-config")


def _normalised(host: str) -> str:
    name = _names.get(host)
    if name is None:
        if len(_names) >= _MAX_NAMES:
            _names.clear()
        name = _names[host] = normalise_host(host)
    return name


def public_host() -> str:
    """The host name of the community space."""
    return _config()[0]


def _on_public():
    from django_tenants.utils import schema_context

    # The public schema is on every search path but one that excludes it on purpose.
    on_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME or connection.include_public_schema
    return nullcontext() if on_public else schema_context(settings.PUBLIC_SCHEMA_NAME)


def _current_version() -> int:
    from tenants.models import DirectoryVersion

    with _on_public():
        return DirectoryVersion.objects.values_list("version", flat=True).get(pk=1)


def _load(version: int) -> None:
    from tenants.models import Domain, Intercommunality

    with _on_public():
        hosts = {d.domain.lower(): d.tenant for d in Domain.objects.select_related("tenant")}
        intercommunality = Intercommunality.objects.only("name").first()
    _directory.hosts, _directory.version, _directory.loaded = hosts, version, True
    _directory.instance_name = intercommunality.name if intercommunality else "Mutualise"


def _refresh() -> _Directory:
    now = time.monotonic()
    if not _directory.loaded or now - _directory.checked_at >= _config()[1]:
        with _lock:
            version = _current_version()
            if not _directory.loaded or version != _directory.version:
                _load(version)
            _directory.checked_at = now
    return _directory


def resolve(host: str):
    """Return the commune served on ``host``, :data:`PUBLIC` for the community space, or ``None`` if unknown.

    The returned commune is shared by the requests of this process: treat it as read-only.
    """
    name = _normalised(host)
    if name == public_host():
        return PUBLIC
    return _refresh().hosts.get(name)


def instance_name() -> str:
    """The name of the intercommunality running the instance."""
    return _refresh().instance_name


def changed() -> None:
    """Record a change to the directory: in the database within the current transaction, and here at once."""
    from tenants.models import DirectoryVersion

    with _on_public():
        DirectoryVersion.objects.filter(pk=1).update(version=F("version") + 1)
    _directory.loaded = False


def reset() -> None:
    """Forget this process's directory (the next resolution reloads it)."""
    _directory.loaded = False


def _changed(sender, **kwargs) -> None:
    changed()


def connect_signals() -> None:
    """Bump the version whenever a commune, a domain or the intercommunality is saved or deleted."""
    from tenants.models import Commune, Domain, Intercommunality

    for model in (Commune, Domain, Intercommunality):
        post_save.connect(_changed, sender=model, dispatch_uid=f"tenants-directory-save-{model.__name__}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"tenants-directory-delete-{model.__name__}")
