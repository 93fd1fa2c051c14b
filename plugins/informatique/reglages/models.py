"""Per-instance adjustments of the renewal plan, set by the service in the console (public schema only).

The lifetime and replacement cost of each device type start from the defaults of :mod:`plugins.informatique.rules`
(themselves adjustable by the settings ``INFORMATIQUE_LIFETIMES`` and ``INFORMATIQUE_UNIT_COSTS``); a row here
overrides them for the whole instance, for every commune.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from plugins.informatique import rules


class DeviceType(models.Model):
    """The lifetime and default replacement cost the service chose for one device type."""

    kind = models.CharField(_("type d'équipement"), max_length=20, unique=True)
    lifetime_years = models.PositiveSmallIntegerField(
        _("durée de vie (années)"), validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    unit_cost = models.DecimalField(
        _("coût de remplacement HT (€)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("réglage par type d'équipement")
        verbose_name_plural = _("réglages par type d'équipement")
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.kind} : {self.lifetime_years} ans, {self.unit_cost} €"


def instance_tables() -> tuple[dict[str, int], dict[str, Decimal]]:
    """Lifetime (years) and replacement cost (€ HT) per device type for this instance: defaults, settings, then
    the service's own choices. One query."""
    lifetimes, costs = rules.lifetimes(), rules.unit_costs()
    for kind, years, cost in DeviceType.objects.values_list("kind", "lifetime_years", "unit_cost"):
        lifetimes[kind], costs[kind] = years, cost
    return lifetimes, costs
