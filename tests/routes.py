"""Every route of both URL configurations, with a concrete path to request it: what the isolation tests sweep."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils.regex_helper import normalize

# Values for the parameters routes take; ``pk``-like ones are filled by the test with real ids.
SAMPLES = {"uidb64": "MQ", "token": "abc-123", "name": "exemple/absent.txt", "url": "absent/"}
GROUP_RE = re.compile(r"\(\?P<(\w+)>([^)]*)\)")


@dataclass(frozen=True)
class Route:
    space: str  # "commune" or "community"
    regex: str
    name: str  # namespaced name, or the regex for unnamed routes
    namespaces: tuple[str, ...]
    params: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return "api" in self.namespaces

    def path(self, **values: str) -> str:
        """A concrete path for this route, with ``values`` for its parameters (samples for the others)."""
        template, params = normalize(self.regex)[0]
        choices = {name: alternatives for name, alternatives in GROUP_RE.findall(self.regex)}
        filled = {}
        for param in params:
            if param in values:
                filled[param] = values[param]
            elif param in SAMPLES:
                filled[param] = SAMPLES[param]
            elif "|" in choices.get(param, ""):
                filled[param] = choices[param].split("|")[0]  # admin's app_label: one of the registered apps
            else:
                filled[param] = "1"
        return "/" + template % filled


def _walk(patterns, prefix: str, namespaces: tuple[str, ...], space: str):
    for entry in patterns:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^")
        if isinstance(entry, URLResolver):
            nested = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, regex.rstrip("$").removesuffix("\\Z"), nested, space)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else regex
            params = tuple(normalize(regex)[0][1])
            yield Route(space, "^" + regex, name, namespaces, params)


def all_routes() -> list[Route]:
    """Every route of the commune URL configuration and of the community one."""
    routes = []
    for space, urlconf in (("commune", settings.ROOT_URLCONF), ("community", settings.PUBLIC_SCHEMA_URLCONF)):
        routes.extend(_walk(get_resolver(urlconf).url_patterns, "", (), space))
    return routes


def urlconf_of(route: Route) -> str:
    return settings.ROOT_URLCONF if route.space == "commune" else settings.PUBLIC_SCHEMA_URLCONF


def resolves_to_itself(route: Route, path: str) -> bool:
    match = resolve(path, urlconf_of(route))
    name = ":".join((*match.namespaces, match.url_name)) if match.url_name else None
    return name == route.name or (name is None and route.name == route.regex.lstrip("^"))
