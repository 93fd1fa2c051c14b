"""Demo data of the Groupements d'achats service: five groupements coordinated by the community, and the answers
of most communes (written in bulk: one insert per table and commune)."""

from __future__ import annotations

import datetime
import zlib
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from plugins.achats.coordination.models import Article, Groupement, Member, NeedSummary
from plugins.achats.models import Answer, Need, Order

S = Groupement.Status
CONVENTION = (
    "Convention constitutive du groupement de commandes (articles L2113-6 à L2113-8 du code de la commande publique).\n"
    "Article 1 — Objet : {title}.\nArticle 2 — Coordonnateur : la communauté de communes, qui passe, signe et notifie "
    "le marché au nom des membres.\nArticle 3 — Chaque membre exécute le marché pour ses propres besoins.\n"
    "Article 4 — Les frais de procédure sont répartis selon la clé fixée par le groupement."
)

# (title, category, nature, status, deadline offset in days, articles: code, lot, label, unit, previous price, base)
GROUPEMENTS = [
    (
        "Fournitures de bureau 2027-2029",
        "fournitures_bureau",
        "fournitures",
        S.RECENSEMENT,
        21,
        [
            ("FB1", "Lot 1", "Stylos à bille (boîte de 50)", "boîte", "12.40", 4),
            ("FB2", "Lot 1", "Classeurs à levier A4", "unité", "2.15", 60),
            ("FB3", "Lot 1", "Enveloppes C5 (boîte de 500)", "boîte", "28.90", 3),
        ],
    ),
    (
        "Papier reprographie 2027",
        "fournitures_bureau",
        "fournitures",
        S.RECENSEMENT,
        10,
        [
            ("PA1", "", "Ramettes A4 80 g blanches", "ramette", "4.35", 120),
            ("PA2", "", "Ramettes A3 80 g blanches", "ramette", "9.10", 10),
        ],
    ),
    (
        "Produits d'entretien des bâtiments communaux",
        "entretien",
        "fournitures",
        S.RECENSEMENT_CLOS,
        -12,
        [
            ("EN1", "", "Détergent multi-surfaces (bidon 5 L)", "bidon", "14.20", 12),
            ("EN2", "", "Essuie-mains papier (colis)", "colis", "31.00", 8),
        ],
    ),
    (
        "Contrôles réglementaires des bâtiments et aires de jeux",
        "verifications",
        "services",
        S.EXECUTION,
        -200,
        [
            ("VR1", "Lot 1", "Vérification des installations électriques", "bâtiment", "180.00", 3),
            ("VR2", "Lot 2", "Contrôle annuel des aires de jeux", "aire", "95.00", 2),
        ],
    ),
    (
        "Extincteurs : fourniture et maintenance",
        "extincteurs",
        "services",
        S.ATTRIBUE,
        -90,
        [
            ("EX1", "", "Vérification annuelle d'un extincteur", "extincteur", "6.50", 25),
            ("EX2", "", "Extincteur eau pulvérisée 6 L", "unité", "62.00", 2),
        ],
    ),
]
AWARDED = {S.ATTRIBUE, S.EXECUTION}


def _groupements() -> list[tuple[Groupement, dict[str, Article], tuple]]:
    """The demo groupements with their articles, created on first use (public schema): two queries once they exist."""
    today = timezone.localdate()
    found = {g.title: g for g in Groupement.objects.filter(title__in=[spec[0] for spec in GROUPEMENTS])}
    for title, category, nature, status, offset, articles in GROUPEMENTS:
        if title in found:
            continue
        groupement = found[title] = Groupement.objects.create(
            title=title,
            category=category,
            nature=nature,
            status=status,
            kind=Groupement.Kind.PERMANENT if category == "verifications" else Groupement.Kind.PONCTUEL,
            convention_text=CONVENTION.format(title=title.lower()),
            deadline=today + datetime.timedelta(days=offset),
            duration_months=36 if "2027-2029" in title else 12,
            supplier="Bureau Sud Fournitures" if status in AWARDED else "",
            procedure_costs=Decimal("2400.00") if status in AWARDED else Decimal(0),
            cost_key=Groupement.CostKey.POPULATION,
            awarded_on=today + datetime.timedelta(days=offset + 45) if status in AWARDED else None,
            launch_date=today + datetime.timedelta(days=offset + 7) if offset < 0 else None,
        )
        Article.objects.bulk_create(
            Article(
                groupement=groupement,
                code=code,
                lot=lot,
                label=label,
                unit=unit,
                previous_price=Decimal(price),
                awarded_price=(Decimal(price) * Decimal("0.88")).quantize(Decimal("0.01"))
                if status in AWARDED
                else None,
            )
            for code, lot, label, unit, price, _base in articles
        )
    by_groupement: dict[int, dict[str, Article]] = {}
    for article in Article.objects.filter(groupement__in=found.values()):
        by_groupement.setdefault(article.groupement_id, {})[article.code] = article
    return [(found[spec[0]], by_groupement.get(found[spec[0]].pk, {}), spec) for spec in GROUPEMENTS]


@transaction.atomic
def create(commune) -> None:
    """Invite ``commune`` to the demo groupements and, for most communes, record its answers (in bulk)."""
    assert connection.schema_name == commune.schema_name
    seed = zlib.crc32(commune.insee_code.encode())
    answers_here = seed % 7 != 0  # about six communes in seven answer the open censuses
    now = timezone.now()
    scale = Decimal(max(1, (commune.population or 1000) // 1000))
    groupements = _groupements()
    Member.objects.bulk_create(
        [Member(groupement=g, commune=commune) for g, _articles, _spec in groupements], ignore_conflicts=True
    )
    members = {
        m.groupement_id: m for m in Member.objects.filter(commune=commune, groupement__in=[g for g, *_ in groupements])
    }
    done = set(Answer.objects.values_list("groupement_id", flat=True))
    todo = [
        (g, articles, spec)
        for g, articles, spec in groupements
        if g.pk not in done and (answers_here or g.status != S.RECENSEMENT)
    ]
    if not todo:
        return
    answers = Answer.objects.bulk_create(
        [
            Answer(
                groupement_id=g.pk,
                deliberation_date=g.deadline - datetime.timedelta(days=30),
                deliberation_number=f"DEL-{g.deadline:%Y}-{seed % 90 + 10:02d}",
                answered_at=now,
            )
            for g, _articles, _spec in todo
        ]
    )
    needs, summaries, orders = [], [], []
    for answer, (groupement, articles, spec) in zip(answers, todo, strict=True):
        total = Decimal(0)
        for code, _lot, _label, _unit, price, base in spec[5]:
            quantity = Decimal(base) * scale + Decimal(seed % 5)
            value = (quantity * Decimal(price)).quantize(Decimal("0.01"))
            total += value
            needs.append(Need(answer=answer, article_id=articles[code].pk, quantity=quantity, estimated_value=value))
            ordered = (quantity / 2).quantize(Decimal("1")) if groupement.status == S.EXECUTION else 0
            if ordered:
                orders.append(
                    Order(
                        groupement_id=groupement.pk,
                        article_id=articles[code].pk,
                        date=timezone.localdate() - datetime.timedelta(days=30),
                        quantity=ordered,
                        reference=f"BC-{commune.insee_code}-{code}",
                    )
                )
            summaries.append(
                NeedSummary(
                    groupement=groupement,
                    article=articles[code],
                    commune=commune,
                    quantity=quantity,
                    estimated_value=value,
                    ordered_quantity=ordered,
                )
            )
        member = members[groupement.pk]
        member.deliberation_date, member.deliberation_number = answer.deliberation_date, answer.deliberation_number
        member.answered_at, member.total_value = now, total
    Need.objects.bulk_create(needs)
    Order.objects.bulk_create(orders)
    NeedSummary.objects.bulk_create(summaries, ignore_conflicts=True)
    Member.objects.bulk_update(
        [members[g.pk] for g, _articles, _spec in todo],
        ["deliberation_date", "deliberation_number", "answered_at", "total_value"],
    )
