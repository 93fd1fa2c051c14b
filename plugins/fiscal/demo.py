"""Demo data of the Observatoire fiscal: four years of REI figures scaled on the commune's population, a few
hundred cadastral locals (fictitious owners), two permits, and the signalements the rules find in them."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal

from plugins.fiscal import anomalies
from plugins.fiscal.models import FiscalBase, Local, Permit, Signalement
from plugins.fiscal.reference import revaluation

T = FiscalBase.Tax
# Net base per inhabitant in 2023 and the rate voted: orders of magnitude of a rural Hérault commune.
# TEOM is left out: whether it is levied by the commune or the waste authority depends on the territory.
TAXES = [
    (T.TFPB, Decimal("1150"), Decimal("47.85"), Decimal("0.35")),
    (T.TFPNB, Decimal("24"), Decimal("92.30"), Decimal("0.9")),
    (T.THRS, Decimal("150"), Decimal("19.62"), Decimal("0.02")),
]
YEARS = (2023, 2024, 2025, 2026)
STREETS = (
    "rue de la République",
    "avenue de Lodève",
    "chemin des Vignes",
    "place de la Mairie",
    "rue du Pont",
    "impasse des Oliviers",
    "route de Montpellier",
    "rue de l'Église",
    "chemin de la Garrigue",
    "grand'rue",
)
SURNAMES = ("MARTIN", "BERNARD", "ROUX", "FABRE", "VIDAL", "DURAND", "GARCIA", "MOREAU", "BONNET", "ARNAUD")
FIRST_NAMES = ("Jean", "Marie", "Pierre", "Josiane", "Michel", "Sylvie", "Alain", "Christine", "Éric", "Nathalie")


def create(commune) -> None:
    """Idempotent: a commune that already has REI figures is left as it is."""
    if FiscalBase.objects.exists():
        return
    rng = random.Random(commune.insee_code)
    population = commune.population or 1000
    spread = Decimal(rng.randint(80, 125)) / 100  # communes differ: richer bases, higher or lower rates
    rate_shift = Decimal(rng.randint(-600, 600)) / 100
    rows = []
    for tax, per_inhabitant, rate, articles_per_inhabitant in TAXES:
        base = per_inhabitant * population * spread
        for year in YEARS:
            if year > YEARS[0]:
                base *= 1 + (revaluation(year) or 0) + Decimal(rng.randint(0, 20)) / 1000  # new buildings
            voted = (rate + rate_shift * (rate / 50)).quantize(Decimal("0.01"))
            rounded = base.quantize(Decimal("1"))
            rows.append(
                FiscalBase(
                    year=year,
                    tax=tax,
                    base=rounded,
                    rate=voted,
                    voted_rate=voted,
                    product=(rounded * voted / 100).quantize(Decimal("1")),
                    articles=int(population * articles_per_inhabitant) or 1,
                    source=FiscalBase.Source.DEMO,
                )
            )
    FiscalBase.objects.bulk_create(rows)
    _locals(commune, rng, min(400, max(40, population // 15)))
    anomalies.detect(datetime.date(2026, 11, 26))
    first = Signalement.objects.filter(rule="categorie_recente").first()
    if first is not None:
        anomalies.record_outcome(
            first, Signalement.Status.ACCEPTED, (first.rental_value or 0) * Decimal("1.35"), datetime.date(2026, 4, 9)
        )


def _locals(commune, rng: random.Random, count: int) -> None:
    insee = commune.insee_code
    items = []
    for n in range(1, count + 1):
        dwelling = rng.random() < 0.85
        built = rng.choice((None, rng.randint(1850, 2024)))
        category = rng.choice((3, 4, 5, 5, 5, 6, 6, 6, 7, 8)) if dwelling else None
        vacant = rng.random() < 0.06
        exonerated = rng.random() < 0.03
        items.append(
            Local(
                local_id=f"{insee}{n:07d}",
                parcel=f"{insee}000{rng.choice('ABCDEK')}{rng.choice('ABCD')}{rng.randint(1, 900):04d}",
                address=f"{rng.randint(1, 60)} {rng.choice(STREETS)}",
                affectation="H" if dwelling else rng.choice("PLS"),
                category=category,
                surface=rng.randint(25, 180),
                year_built=built,
                year_renovated=rng.choice((None, None, None, rng.randint(2005, 2024))),
                rental_value=Decimal(rng.randint(900, 6500)),
                vacant=vacant,
                vacant_since=rng.randint(2015, 2025) if vacant else None,
                exoneration="NC" if exonerated else "",
                exoneration_start=rng.randint(2012, 2022) if exonerated else None,
                exoneration_end=rng.randint(2018, 2028) if exonerated else None,
                owner_name=f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)} (fictif)",
                owner_address=f"{rng.randint(1, 80)} {rng.choice(STREETS)}",
            )
        )
    Local.objects.bulk_create(items, batch_size=1000)
    Permit.objects.bulk_create(
        [
            Permit(
                reference=f"PC0{insee}24X0{n:03d}",
                parcel=f"{insee}000ZA{n:04d}",
                address=f"lotissement Les Amandiers, lot {n}",
                description="Maison individuelle",
                granted_on=datetime.date(2024, 3, n),
                completed_on=datetime.date(2025, 5, n),
            )
            for n in (1, 2)
        ]
    )
