"""The API's OpenAPI description: the schema class of every viewset, the error responses, the token scheme.

The views that serve it, one schema per space, are in :mod:`mutualise.schema_views` (drf-spectacular's views need
this module's schema class to be importable first).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from mutualise.api import ApiTokenAuthentication


class ErrorSerializer(serializers.Serializer):
    """The body of every refusal (see :func:`mutualise.api.exception_handler`): a French message and a code."""

    detail = serializers.CharField(help_text=_("Le message d'erreur, en français."))
    code = serializers.CharField(help_text=_("Un code stable : not_authenticated, permission_denied, not_found…"))


# A rejected body: the French messages of each field (``non_field_errors`` or ``detail`` for the whole request), or
# the ``detail``/``code`` pair when the body could not be read at all.
VALIDATION_ERROR = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {
            "oneOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}},
            ]
        },
    },
    description=_("Requête refusée : les messages d'erreur de chaque champ, en français."),
)
ERRORS = {
    "401": OpenApiResponse(ErrorSerializer, description=_("Pas de jeton d'API valable pour cet espace.")),
    "403": OpenApiResponse(ErrorSerializer, description=_("Accès refusé, ou service non souscrit par la commune.")),
    "404": OpenApiResponse(
        ErrorSerializer, description=_("Introuvable : l'objet de l'adresse ou celui que nomme le corps, ou une page.")
    ),
    "415": OpenApiResponse(ErrorSerializer, description=_("Format du corps non pris en charge.")),
}


class ApiSchema(AutoSchema):
    """drf-spectacular's inference, plus the error responses every operation can give, in the product's shape."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = ["401", "403", "404"]  # 404: the object of the address, or one the body names, or a page past the end
        if self.method in ("POST", "PUT", "PATCH"):
            codes += ["400", "415"]
        for code in codes:
            if code not in responses:
                error = VALIDATION_ERROR if code == "400" else ERRORS[code]
                responses[code] = self._get_response_for_code(error, code)
        return responses


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The personal API tokens in the schema: ``Authorization: Bearer mut_…``."""

    target_class = ApiTokenAuthentication
    name = "jetonApi"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "mut_<préfixe>_<secret>",
            "description": str(_("Jeton personnel créé dans « Mon compte », valable sur le seul espace choisi.")),
        }
