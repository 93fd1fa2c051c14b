"""What every page knows: the instance, the space it is in, and the menu built from the enabled services."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject

from mutualise.plugins import get_registry
from mutualise.services import services_for_request
from tenants import resolution


def navigation(request: HttpRequest) -> list[dict]:
    """The menu entries the plugins contribute for this request, for enabled services only."""
    registry = get_registry()
    space = "community" if getattr(request, "commune", None) is None else "commune"
    entries = []
    for service in services_for_request(request):
        for entry in registry.call(service.slug, "mutualise_navigation", request=request, space=space) or []:
            try:
                url = reverse(f"{service.slug}:{entry.url_name}", urlconf=getattr(request, "urlconf", None))
            except NoReverseMatch:
                continue
            entries.append({"service": service, "label": entry.label, "url": url, "order": entry.order})
    return sorted(entries, key=lambda e: (e["service"].label, e["order"]))


def space(request: HttpRequest) -> dict:
    """Template context shared by every page; the menu and the name are computed only if a page shows them."""
    commune = getattr(request, "commune", None)
    return {
        "commune": commune,
        "space": "commune" if commune is not None else "community",
        "instance_name": SimpleLazyObject(resolution.instance_name),
        "navigation": SimpleLazyObject(lambda: navigation(request)),
    }
