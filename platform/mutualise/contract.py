"""What a service plugin hands to the platform: plain, immutable descriptions.

These types are the vocabulary of the hooks in :mod:`mutualise.hookspecs`. They import nothing from Django so
that a plugin module can be loaded while settings are being read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

Space = Literal["commune", "community"]


@dataclass(frozen=True)
class Role:
    """A role inside one service of the intercommunality (``agent``, ``responsable``…)."""

    code: str
    label: str


DEFAULT_SERVICE_ROLES: tuple[Role, ...] = (
    Role("agent", "Agent du service"),
    Role("responsable", "Responsable du service"),
)


@dataclass(frozen=True)
class ServiceInfo:
    """A service's identity card, returned by ``mutualise_service``.

    ``platform`` is a version specifier (PEP 440) of the Mutualise releases the plugin works with; a plugin whose
    range excludes the running platform is skipped at start-up with a warning. ``app`` is the Django application
    holding the plugin's models; it defaults to the package that contains the plugin module. ``shared_app``, when
    given, is a second Django application whose tables live in the public schema only: the intercommunality's own
    records of the service (a groupement d'achats it coordinates), which no commune's schema holds.
    """

    slug: str
    label: str
    description: str
    version: str
    platform: str
    icon: str = "service"
    roles: tuple[Role, ...] = DEFAULT_SERVICE_ROLES
    app: str | None = None
    shared_app: str | None = None


@dataclass(frozen=True)
class NavEntry:
    """A link in a space's menu. ``url_name`` is resolved inside the service's URL namespace."""

    label: str
    url_name: str
    icon: str = ""
    # Empty: everyone who can see the service. Otherwise the commune or service roles ("agent", "referent",
    # "responsable"…) that see the entry; community administrators see every entry.
    roles: frozenset[str] = frozenset()
    order: int = 100


@dataclass(frozen=True)
class Widget:
    """A dashboard card, loaded lazily by htmx from ``url_name`` (inside the service's URL namespace)."""

    title: str
    url_name: str
    order: int = 100


@dataclass(frozen=True)
class RequestType:
    """A kind of request (*demande*) a commune can send to a service."""

    code: str
    label: str
    categories: tuple[tuple[str, str], ...] = ()
    uses_priority_matrix: bool = False


@dataclass(frozen=True)
class ApiRoute:
    """A DRF viewset registered under ``/api/v1/<slug>/<prefix>/``."""

    prefix: str
    viewset: Any
    basename: str


@dataclass(frozen=True)
class Indicator:
    """One figure of a bilan section: ``value`` is a number, ``unit`` how to read it (``€``, ``%``, ``demandes``)."""

    label: str
    value: int | float | Decimal
    unit: str = ""


@dataclass(frozen=True)
class BilanSection:
    """A service's part of the annual bilan: consolidated indicators and, per commune (INSEE code), its own."""

    title: str
    indicators: Sequence[Indicator] = ()
    per_commune: Mapping[str, Sequence[Indicator]] = field(default_factory=dict)
    text: str = ""


@dataclass(frozen=True)
class ActivityUnit:
    """A quantity of use of a service by a commune over a period: the basis of cost allocation."""

    code: str
    label: str
    quantity: Decimal
    unit: str


@dataclass(frozen=True)
class PeriodicTask:
    """A task the platform schedules and then runs once per commune where the service is enabled.

    ``task`` is the dotted path of a Celery task taking no argument; it runs inside the commune's schema.
    ``schedule`` is a number of seconds or a ``celery.schedules.crontab``.
    """

    name: str
    task: str
    schedule: Any
