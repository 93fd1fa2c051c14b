"""The hook specifications: the whole contract between the platform and a service plugin.

A plugin is a module registered under the ``mutualise.plugins`` entry-point group. It implements some of the hooks
below with ``@mutualise.hookimpl``; only ``mutualise_service`` is required. The platform calls each hook per
plugin, so every result is attributed to the service that produced it, and it never calls the hooks of a service
that is disabled for the commune at hand (its menus, widgets, tasks and bilan sections are simply absent).

Every hook here has a docstring; a contract test keeps it so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import datetime

    from django.http import HttpRequest

    from mutualise.contract import (
        ActivityUnit,
        ApiRoute,
        BilanSection,
        NavEntry,
        PeriodicTask,
        RequestType,
        ServiceInfo,
        Space,
        Widget,
    )
    from tenants.models import Commune, Subscription

PROJECT_NAME = "mutualise"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(firstresult=True)
def mutualise_service() -> ServiceInfo:
    """Describe the service: slug, French label, description, icon, version, supported platform range, roles.

    Required. Called once at start-up, before Django is set up: the implementation must not import models.
    """


@hookspec(firstresult=True)
def mutualise_commune_urls() -> list[Any]:
    """Return the URL patterns of the commune side, mounted under ``/services/<slug>/`` on every commune host.

    They live in the URL namespace ``<slug>``; one of them must be named ``index`` (the service's landing page).
    The platform answers 403 "service non souscrit" before any of these views runs for a commune where the service
    is disabled.
    """


@hookspec(firstresult=True)
def mutualise_community_urls() -> list[Any]:
    """Return the URL patterns of the community side, mounted under ``/services/<slug>/`` on the community host.

    They serve the intercommunality's agents, who work across every commune subscribing to the service.
    """


@hookspec(firstresult=True)
def mutualise_api_routes(space: Space) -> list[ApiRoute]:
    """Return the DRF viewsets of the API for ``space`` (``"commune"`` or ``"community"``).

    Each is registered under ``/api/v1/<slug>/<prefix>/`` on the hosts of that space. On a commune host the
    platform answers 403 (JSON) when the service is disabled for the commune.
    """


@hookspec(firstresult=True)
def mutualise_navigation(request: HttpRequest, space: Space) -> list[NavEntry]:
    """Return the menu entries of the service in ``space`` for this request.

    Only called when the service is enabled for the commune of the request (or, on the community host, always).
    """


@hookspec(firstresult=True)
def mutualise_dashboard_widgets(request: HttpRequest, space: Space) -> list[Widget]:
    """Return the dashboard cards of the service in ``space``; each is loaded lazily from its own URL.

    Only called when the service is enabled for the commune of the request.
    """


@hookspec(firstresult=True)
def mutualise_request_types() -> list[RequestType]:
    """Return the kinds of request (*demandes*) a commune can send to this service."""


@hookspec(firstresult=True)
def mutualise_bilan_section(year: int, communes: list[Commune]) -> BilanSection | None:
    """Return the service's section of the annual bilan for ``year``.

    ``communes`` are those that subscribed to the service during that year; the platform leaves out the others.
    Figures per commune are keyed by INSEE code. Return ``None`` when the service has nothing to report.
    """


@hookspec(firstresult=True)
def mutualise_activity_units(commune: Commune, start: datetime.date, end: datetime.date) -> list[ActivityUnit]:
    """Return what ``commune`` used of the service between ``start`` and ``end`` (inclusive), as activity units.

    Called in the commune's schema. The units feed the allocation of the service's costs between communes.
    """


@hookspec(firstresult=True)
def mutualise_periodic_tasks() -> list[PeriodicTask]:
    """Return the periodic tasks of the service.

    The platform schedules each one and runs it once per commune where the service is enabled, in its schema.
    """


@hookspec
def mutualise_service_enabled(commune: Commune, subscription: Subscription) -> None:
    """React to the service being enabled for ``commune`` (after the subscription is committed)."""


@hookspec
def mutualise_service_disabled(commune: Commune, subscription: Subscription) -> None:
    """React to the service being disabled for ``commune`` (after commit). Its data must be kept."""


@hookspec
def mutualise_demo_data(commune: Commune) -> None:
    """Create realistic demo data for ``commune``; called in its schema by ``mutualise demo``. Must be idempotent."""
