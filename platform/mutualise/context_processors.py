"""What every page knows: the instance, the space it is in, and the menu built from the enabled services."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from mutualise.plugins import get_registry
from mutualise.services import services_for_request
from tenants import resolution


def navigation(request: HttpRequest) -> list[dict]:
    """The menu entries the plugins contribute for this request, for enabled services only."""
    from mutualise.access import request_rights

    registry = get_registry()
    space = "community" if getattr(request, "commune", None) is None else "commune"
    services = services_for_request(request)
    if space == "community":  # the console shows a person the services they work for
        rights = request_rights(request)
        services = [s for s in services if rights is not None and (rights.is_admin or s.slug in rights.service_roles)]
    rights = request_rights(request)
    commune = getattr(request, "commune", None)
    entries = []
    for service in services:
        # The roles an entry may be limited to: the person's role in the commune and in this service.
        held = set()
        if rights is not None:
            held = {rights.service_roles.get(service.slug), commune and rights.commune_roles.get(commune.id)}
            held |= {"admin"} if rights.is_admin else set()
        for entry in registry.call(service.slug, "mutualise_navigation", request=request, space=space) or []:
            if entry.roles and not (entry.roles & held or "admin" in held):
                continue
            try:
                url = reverse(f"{service.slug}:{entry.url_name}", urlconf=getattr(request, "urlconf", None))
            except NoReverseMatch:
                continue
            entries.append({"service": service, "label": entry.label, "url": url, "order": entry.order})
    return sorted(entries, key=lambda e: (e["service"].label, e["order"]))


def space_links(request: HttpRequest) -> list[dict]:
    """The space's own pages in the menu, for this person: the console's for administrators, the dashboard…"""
    from mutualise.access import request_rights

    rights = request_rights(request)
    if rights is None:
        return []
    commune = getattr(request, "commune", None)
    if commune is None:
        links = [
            (_("Accueil"), "/"),
            (_("File des demandes"), "/file/"),
            (_("Niveaux de service"), "/niveaux-de-service/"),
        ]
        if rights.is_admin:
            links += [
                (_("Communes"), "/communes/"),
                (_("Souscriptions"), "/souscriptions/"),
                (_("Demandes"), "/demandes/"),
                (_("Utilisateurs"), "/utilisateurs/"),
                (_("Journal"), "/journal/"),
            ]
    else:
        links = [(_("Tableau de bord"), "/"), (_("Demandes"), "/demandes/")]
        if rights.is_admin or rights.commune_roles.get(commune.id) == "referent":
            links.append((_("Utilisateurs"), "/commune/utilisateurs/"))
    links.append((_("Mon compte"), "/compte/"))
    current = request.path
    return [
        {"label": label, "url": url, "current": current == url or (url != "/" and current.startswith(url))}
        for label, url in links
    ]


def space(request: HttpRequest) -> dict:
    """Template context shared by every page; the menu and the name are computed only if a page shows them."""
    commune = getattr(request, "commune", None)
    return {
        "commune": commune,
        "space": "commune" if commune is not None else "community",
        "instance_name": SimpleLazyObject(resolution.instance_name),
        "navigation": SimpleLazyObject(lambda: navigation(request)),
        "space_links": SimpleLazyObject(lambda: space_links(request)),
    }
