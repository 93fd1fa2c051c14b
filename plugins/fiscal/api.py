"""The Observatoire fiscal's read API: a commune's bases and signalements (commune-bound token), the territory's
figures across subscribing communes (community-bound token). Access: the service's policy, then fiscal secrecy
for the signalements."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from mutualise.services import communes_with_service
from plugins.fiscal import queries
from plugins.fiscal.access import can_see_cadastre
from plugins.fiscal.models import FiscalBase, Signalement


class FiscalBaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiscalBase
        fields = ["id", "year", "tax", "base", "rate", "voted_rate", "product", "articles", "source"]


class FiscalBaseViewSet(viewsets.ReadOnlyModelViewSet):
    """The commune's bases, rates, products and articles per year and tax (``?annee=2025``)."""

    serializer_class = FiscalBaseSerializer

    def get_queryset(self):
        rows = FiscalBase.objects.all()
        year = self.request.query_params.get("annee", "")
        return rows.filter(year=int(year)) if year.isdigit() and len(year) == 4 else rows


class SignalementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signalement
        fields = [
            "id",
            "rule",
            "local_id",
            "permit_reference",
            "parcel",
            "address",
            "category",
            "rental_value",
            "reason",
            "action",
            "status",
            "new_rental_value",
            "base_gain",
            "product_gain",
            "decided_on",
            "created_at",
        ]


class SignalementViewSet(viewsets.ReadOnlyModelViewSet):
    """The commune's signalements: its référents and the service's agents only (fiscal secrecy)."""

    serializer_class = SignalementSerializer
    queryset = Signalement.objects.all()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_see_cadastre(request._request):
            raise PermissionDenied(_("Données couvertes par le secret fiscal : réservées aux référents de la commune."))


class TerritoryRowSerializer(serializers.Serializer):
    """One REI row of a commune of the territory: what ``TerritoryViewSet`` answers, for the API's schema."""

    insee = serializers.CharField()
    population = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField()
    tax = serializers.CharField()
    base = serializers.CharField(allow_null=True, help_text="Montant décimal, en texte.")
    rate = serializers.CharField(allow_null=True, help_text="Taux décimal, en texte.")
    product = serializers.CharField(allow_null=True, help_text="Montant décimal, en texte.")
    articles = serializers.IntegerField(allow_null=True)


class TerritoryViewSet(viewsets.ViewSet):
    """Every subscribing commune's REI rows, read with one UNION ALL per batch of their schemas."""

    @extend_schema(responses=TerritoryRowSerializer(many=True))
    def list(self, request):
        rows = queries.territory_rows(list(communes_with_service("fiscal")))
        for row in rows:
            for name in ("base", "rate", "product"):
                row[name] = None if row[name] is None else str(row[name])
        return Response(rows)
