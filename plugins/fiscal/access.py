"""Who may see the cadastral data (owners' names and addresses, valeurs locatives: fiscal secrecy).

Within the service's pages (already limited to the commune's people and the service's agents), the cadastral
locals, the imports that carry them and the signalements drawn from them are kept to the commune's référents and
to the agents of the Observatoire fiscal. Everyone else with access to the service sees bases, rates and
indicators only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from mutualise.access import request_rights

SERVICE = "fiscal"
CADASTRE_COMMUNE_ROLES = frozenset({"referent"})


def can_see_cadastre(request: HttpRequest) -> bool:
    """Whether the person behind ``request`` may see cadastral rows in this space."""
    rights = request_rights(request)
    if rights is None:
        return False
    if SERVICE in rights.service_roles:
        return True
    commune = getattr(request, "commune", None)
    return commune is not None and rights.commune_roles.get(commune.id) in CADASTRE_COMMUNE_ROLES


def require_cadastre(request: HttpRequest) -> None:
    """Refuse (403) a person who may not see cadastral data."""
    if not can_see_cadastre(request):
        raise PermissionDenied(
            _(
                "Les données cadastrales relèvent du secret fiscal : elles sont réservées aux référents de la commune et aux agents de l'observatoire fiscal."
            )
        )
