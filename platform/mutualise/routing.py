"""URL patterns contributed by the service plugins, mounted under fixed prefixes in each space."""

from __future__ import annotations

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from mutualise.contract import Space
from mutualise.plugins import get_registry

_URL_HOOKS = {"commune": "mutualise_commune_urls", "community": "mutualise_community_urls"}


def service_urlpatterns(space: Space) -> list:
    """``<slug>/…`` for each installed service, in the URL namespace ``<slug>``."""
    registry = get_registry()
    patterns = []
    for service in registry:
        urls = registry.call(service.slug, _URL_HOOKS[space]) or []
        if urls:
            patterns.append(path(f"{service.slug}/", include((urls, service.slug))))
    return patterns


def api_urlpatterns(space: Space) -> list:
    """The space's schema and docs, the core's API, then ``<slug>/<prefix>/…`` for each viewset the services register
    (namespace ``api:<slug>``)."""
    from mutualise.demandes.api import DemandeViewSet, QueueViewSet
    from mutualise.schema_views import schema_urlpatterns

    core = SimpleRouter()
    if space == "commune":
        core.register("demandes", DemandeViewSet, basename="demande")
    else:
        core.register("file", QueueViewSet, basename="file")
    registry = get_registry()
    patterns = [*schema_urlpatterns(space), *core.urls]
    for service in registry:
        routes = registry.call(service.slug, "mutualise_api_routes", space=space) or []
        if routes:
            router = SimpleRouter()
            for route in routes:
                router.register(route.prefix, route.viewset, basename=route.basename)
            patterns.append(path(f"{service.slug}/", include((router.urls, service.slug))))
    from mutualise.api import not_found

    patterns.append(re_path(r"^.*$", not_found, name="not_found"))  # last: what no route above matched
    return patterns
