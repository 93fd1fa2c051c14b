"""Finding, checking and calling the service plugins.

Plugins are modules registered under the ``mutualise.plugins`` entry-point group (the eight built-in services are
registered there by the project's own packaging, exactly as a third-party package would be). The registry is built
once per process, while settings load, and never touches the database.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from mutualise import __version__, hookspecs
from mutualise.contract import ServiceInfo

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mutualise.plugins"
SLUG_RE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")


class PluginError(Exception):
    """A plugin breaks the contract; the message names the plugin and what is wrong with it."""


class IncompatiblePluginWarning(UserWarning):
    """A plugin does not support the running platform version and was left out."""


@dataclass(frozen=True)
class Service:
    """A service plugin as the platform knows it: its metadata and the module implementing its hooks."""

    info: ServiceInfo
    module: ModuleType

    @property
    def slug(self) -> str:
        return self.info.slug

    @property
    def label(self) -> str:
        return self.info.label

    @property
    def app(self) -> str:
        return self.info.app or self.module.__name__.rpartition(".")[0]


class ServiceRegistry:
    """The installed services, in label order, and the means to call one service's hooks."""

    def __init__(self, platform_version: str = __version__) -> None:
        self.platform_version = Version(platform_version)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self._services: dict[str, Service] = {}
        self._callers: dict[tuple[str, str], Any] = {}

    # -- loading ---------------------------------------------------------------------------------------------
    def load_entry_points(self, only: Iterable[str] | None = None) -> None:
        """Register every plugin of the entry-point group, or only those named in ``only``."""
        wanted = set(only) if only is not None else None
        found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
        if wanted is not None and (unknown := wanted - set(found)):
            raise PluginError(
                "MUTUALISE_PLUGINS nomme des services non installés : "
                f"{', '.join(sorted(unknown))} (installés : {', '.join(sorted(found))})"
            )
        for name in sorted(found):
            if wanted is None or name in wanted:
                try:
                    module = found[name].load()
                except Exception as exc:
                    raise PluginError(f"Le plugin « {name} » ne peut pas être importé : {exc}") from exc
                self.register(module, name=name)

    def register(self, module: ModuleType, name: str | None = None) -> Service | None:
        """Check ``module`` against the contract and register it; return ``None`` if it was skipped.

        Raises :class:`PluginError` when the module implements an unknown hook, gives no valid metadata or
        reuses a slug; warns and skips it when its supported platform range excludes this platform.
        """
        label = name or module.__name__
        known = {n for n in dir(hookspecs) if n.startswith("mutualise_")}
        for attr in dir(module):
            if attr.startswith("mutualise_") and attr not in known and callable(getattr(module, attr)):
                raise PluginError(
                    f"Le plugin « {label} » implémente un hook inconnu « {attr} » "
                    f"(hooks connus : {', '.join(sorted(known))})"
                )
        impl = getattr(module, "mutualise_service", None)
        if impl is None:
            raise PluginError(f"Le plugin « {label} » n'implémente pas le hook obligatoire « mutualise_service »")
        info = impl()
        if not isinstance(info, ServiceInfo) or not SLUG_RE.match(info.slug or ""):
            raise PluginError(f"Le plugin « {label} » décrit mal son service (ServiceInfo avec un slug en a-z0-9_)")
        if info.slug in self._services:
            raise PluginError(f"Deux plugins déclarent le même service « {info.slug} »")
        try:
            supported = SpecifierSet(info.platform)
        except InvalidSpecifier as exc:
            raise PluginError(f"Le plugin « {label} » déclare une version de plateforme invalide : {exc}") from exc
        if not supported.contains(self.platform_version, prereleases=True):
            message = (
                f"Le plugin « {label} » ({info.slug} {info.version}) demande Mutualise {info.platform} "
                f"et la plateforme est en version {self.platform_version} : il n'est pas chargé."
            )
            warnings.warn(message, IncompatiblePluginWarning, stacklevel=2)
            logger.warning(message)
            return None
        try:
            self.pm.register(module, name=info.slug)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"Le plugin « {label} » ne respecte pas le contrat : {exc}") from exc
        service = Service(info=replace(info), module=module)
        self._services[info.slug] = service
        self._callers.clear()
        return service

    # -- reading ---------------------------------------------------------------------------------------------
    def __iter__(self):
        return iter(sorted(self._services.values(), key=lambda s: s.label))

    def __len__(self) -> int:
        return len(self._services)

    def __contains__(self, slug: object) -> bool:
        return slug in self._services

    def get(self, slug: str) -> Service:
        """The service registered under ``slug``; ``KeyError`` if there is none."""
        return self._services[slug]

    @property
    def slugs(self) -> list[str]:
        return [s.slug for s in self]

    def call(self, slug: str, hook: str, **kwargs: Any) -> Any:
        """Call one hook of one service's plugin and return its result (``None`` if it does not implement it)."""
        key = (slug, hook)
        caller = self._callers.get(key)
        if caller is None:
            module = self._services[slug].module
            others = [p for p in self.pm.get_plugins() if p is not module]
            caller = self._callers[key] = self.pm.subset_hook_caller(hook, remove_plugins=others)
        return caller(**kwargs)

    def call_each(self, hook: str, slugs: Iterable[str] | None = None, **kwargs: Any) -> list[tuple[Service, Any]]:
        """Call a hook on every service in ``slugs`` (all by default), in label order, skipping empty results."""
        chosen = None if slugs is None else set(slugs)
        results = []
        for service in self:
            if chosen is None or service.slug in chosen:
                result = self.call(service.slug, hook, **kwargs)
                if result not in (None, []):
                    results.append((service, result))
        return results


def build_registry(only: Iterable[str] | None = None) -> ServiceRegistry:
    """Load the installed plugins into a new registry (``only``: restrict to these entry-point names)."""
    registry = ServiceRegistry()
    registry.load_entry_points(only)
    return registry


def plugins_from_environment() -> list[str] | None:
    """The plugins named by ``MUTUALISE_PLUGINS`` (comma-separated), or ``None`` for every installed one."""
    value = os.environ.get("MUTUALISE_PLUGINS", "").strip()
    return [name.strip() for name in value.split(",") if name.strip()] if value else None


@functools.cache
def get_registry() -> ServiceRegistry:
    """The process-wide registry, built on first use (by the settings) from ``MUTUALISE_PLUGINS``."""
    return build_registry(plugins_from_environment())
