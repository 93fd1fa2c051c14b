"""Which services a commune uses: the one place that answers "is service S enabled for commune C"."""

from __future__ import annotations

import datetime

from django.http import HttpRequest

from mutualise.plugins import Service, get_registry


def enabled_services(commune, on: datetime.date | None = None) -> frozenset[str]:
    """Slugs of the installed services ``commune`` subscribes to on ``on`` (today by default). One query."""
    from tenants.models import Subscription

    if commune is None:
        return frozenset()
    installed = set(get_registry().slugs)
    slugs = Subscription.objects.filter(commune=commune).in_force(on).order_by().values_list("service", flat=True)
    return frozenset(slug for slug in slugs if slug in installed)


def is_service_enabled(commune, slug: str, on: datetime.date | None = None) -> bool:
    """Whether ``slug`` is installed and subscribed to by ``commune`` on ``on`` (today by default)."""
    return slug in enabled_services(commune, on)


def request_services(request: HttpRequest) -> frozenset[str]:
    """The services enabled for the commune of ``request``, computed at most once per request."""
    cached = getattr(request, "_mutualise_enabled_services", None)
    if cached is None:
        cached = enabled_services(getattr(request, "commune", None))
        request._mutualise_enabled_services = cached
    return cached


def services_for_request(request: HttpRequest) -> list[Service]:
    """The services whose pages, menus and widgets this request may show, in label order.

    On a commune host: the services enabled for that commune. On the community host: every installed service.
    """
    registry = get_registry()
    if getattr(request, "commune", None) is None:
        return list(registry)
    enabled = request_services(request)
    return [service for service in registry if service.slug in enabled]


def communes_with_service(slug: str, on: datetime.date | None = None):
    """The communes subscribing to ``slug`` on ``on`` (today by default), as one queryset."""
    from tenants.models import Commune, Subscription

    subscribed = Subscription.objects.in_force(on).filter(service=slug).values("commune_id")
    return Commune.objects.filter(id__in=subscribed).order_by("insee_code")
