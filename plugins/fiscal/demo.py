"""Demo data of the Observatoire fiscal service: two years of a commune's bases, rates and products."""

from decimal import Decimal

from plugins.fiscal.models import FiscalBase

T = FiscalBase.Tax
# Net base per inhabitant in 2025 and the rate voted: orders of magnitude of a rural Hérault commune.
# TEOM is left out: whether it is levied by the commune or the waste authority depends on the territory.
TAXES = [
    (T.TFPB, Decimal("1245"), Decimal("47.85")),
    (T.TFPNB, Decimal("24"), Decimal("92.30")),
    (T.THRS, Decimal("158"), Decimal("19.62")),
]
# Legal revaluation of the valeurs locatives (+0.8 % in 2026), plus about 1 % of new buildings.
GROWTH = {2025: Decimal("1"), 2026: Decimal("1.018")}


def create(commune) -> None:
    population = commune.population or 1000
    for year, growth in GROWTH.items():
        for tax, per_inhabitant, rate in TAXES:
            base = (per_inhabitant * population * growth).quantize(Decimal("1"))
            FiscalBase.objects.get_or_create(
                year=year,
                tax=tax,
                defaults={"base": base, "rate": rate, "product": (base * rate / 100).quantize(Decimal("1"))},
            )
