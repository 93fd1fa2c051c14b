"""Importing the awarded price schedule (bordereau des prix) from CSV or XLSX: all or nothing, errors per line."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from mutualise import audit
from mutualise.imports import ImportFailed, Table, parse_decimal, read_table
from plugins.achats.coordination.models import Article, Groupement

CODE_HEADINGS = ("code", "code article", "référence", "reference", "n° article", "article")
PRICE_HEADINGS = ("prix unitaire", "prix unitaire ht", "prix unitaire ht (€)", "pu ht", "prix", "prix ht")
MAX_PRICE = Decimal("100000000")


def _column(header: list[str], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` (most specific first) that the header has."""
    return next((name for name in names if name in header), None)


def parse_prices(groupement: Groupement, table: Table) -> dict[int, Decimal]:
    """``article id → unit price`` from the table, or :class:`ImportFailed` with every error found."""
    code_column = _column(table.header, CODE_HEADINGS)
    price_column = _column(table.header, PRICE_HEADINGS)
    if code_column is None or price_column is None:
        raise ImportFailed([(1, "Colonnes « Code » et « Prix unitaire » attendues dans la première ligne.")])
    articles = {article.code.lower(): article for article in groupement.articles.all()}
    prices, errors, seen = {}, [], {}
    for line, cells in table.rows:
        code = cells.get(code_column, "").strip()
        article = articles.get(code.lower())
        if not code:
            errors.append((line, "le code de l'article est vide."))
            continue
        if article is None:
            errors.append((line, f"article « {code} » inconnu dans ce groupement."))
            continue
        if code.lower() in seen:
            errors.append((line, f"article « {code} » déjà donné ligne {seen[code.lower()]}."))
            continue
        seen[code.lower()] = line
        try:
            price = parse_decimal(cells.get(price_column, ""))
        except ValueError as error:
            errors.append((line, f"{error}."))
            continue
        if price is None:
            errors.append((line, "le prix unitaire est vide."))
        elif price < 0 or price >= MAX_PRICE:
            errors.append((line, f"prix unitaire hors limites « {cells.get(price_column)} »."))
        else:
            prices[article.pk] = price.quantize(Decimal("0.0001"))
    if errors:
        raise ImportFailed(errors)
    if not prices:
        raise ImportFailed([(0, "Le fichier ne contient aucun prix.")])
    return prices


@transaction.atomic
def import_prices(groupement: Groupement, data: bytes, filename: str, *, user=None) -> int:
    """Set the awarded unit prices of the file's articles; a file with any error changes nothing. Returns the count."""
    prices = parse_prices(groupement, read_table(data, filename))
    for article in Article.objects.select_for_update().filter(pk__in=prices):
        article.awarded_price = prices[article.pk]
        article.save(update_fields=["awarded_price"])
    audit.record(
        "achats.prix.importes",
        actor=user,
        service="achats",
        target=f"groupement {groupement.pk} — {groupement}",
        after={"articles": len(prices), "fichier": filename[:100]},
    )
    return len(prices)
