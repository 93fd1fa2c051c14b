"""Demo data of the Groupements d'achats service: five groupements coordinated by the community, and the answers
of most communes (written in bulk: one insert per table and commune)."""

from __future__ import annotations

import datetime
import zlib
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from plugins.achats.coordination.models import Article, Groupement, Member, NeedSummary
from plugins.achats.models import Answer, Need

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
    """The demo groupements, created once (public schema)."""
    today = timezone.localdate()
    result = []
    for spec in GROUPEMENTS:
        title, category, nature, status, offset, articles = spec
        groupement, created = Groupement.objects.get_or_create(
            title=title,
            defaults={
                "category": category,
                "nature": nature,
                "status": status,
                "kind": Groupement.Kind.PERMANENT if category == "verifications" else Groupement.Kind.PONCTUEL,
                "convention_text": CONVENTION.format(title=title.lower()),
                "deadline": today + datetime.timedelta(days=offset),
                "duration_months": 36 if "2027-2029" in title else 12,
                "supplier": "Bureau Sud Fournitures" if status in AWARDED else "",
                "procedure_costs": Decimal("2400.00") if status in AWARDED else Decimal(0),
                "awarded_on": today + datetime.timedelta(days=offset + 45) if status in AWARDED else None,
                "launch_date": today + datetime.timedelta(days=offset + 7) if offset < 0 else None,
            },
        )
        if created:
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
        result.append((groupement, {a.code: a for a in groupement.articles.all()}, spec))
    return result


@transaction.atomic
def create(commune) -> None:
    """Invite ``commune`` to the demo groupements and, for most communes, record their answer."""
    assert connection.schema_name == commune.schema_name
    seed = zlib.crc32(commune.insee_code.encode())
    answers_here = seed % 7 != 0  # about six communes in seven answer
    now = timezone.now()
    scale = Decimal(max(1, (commune.population or 1000) // 1000))
    for groupement, articles, spec in _groupements():
        member, _ = Member.objects.get_or_create(groupement=groupement, commune=commune)
        answered = answers_here or groupement.status != S.RECENSEMENT
        if Answer.objects.filter(groupement_id=groupement.pk).exists() or not answered:
            continue
        answer = Answer.objects.create(
            groupement_id=groupement.pk,
            deliberation_date=groupement.deadline - datetime.timedelta(days=30),
            deliberation_number=f"DEL-{groupement.deadline:%Y}-{seed % 90 + 10:02d}",
            answered_at=now,
        )
        needs = []
        for code, _lot, _label, _unit, price, base in spec[5]:
            quantity = Decimal(base) * scale + Decimal(seed % 5)
            needs.append(
                Need(
                    answer=answer,
                    article_id=articles[code].pk,
                    quantity=quantity,
                    estimated_value=(quantity * Decimal(price)).quantize(Decimal("0.01")),
                )
            )
        Need.objects.bulk_create(needs)
        NeedSummary.objects.bulk_create(
            [
                NeedSummary(
                    groupement=groupement,
                    article_id=need.article_id,
                    commune=commune,
                    quantity=need.quantity,
                    estimated_value=need.estimated_value,
                    ordered_quantity=(need.quantity / 2).quantize(Decimal("1"))
                    if groupement.status == S.EXECUTION
                    else 0,
                )
                for need in needs
            ],
            ignore_conflicts=True,
        )
        Member.objects.filter(pk=member.pk).update(
            deliberation_date=answer.deliberation_date,
            deliberation_number=answer.deliberation_number,
            answered_at=now,
            total_value=sum((n.estimated_value for n in needs), Decimal(0)),
        )
