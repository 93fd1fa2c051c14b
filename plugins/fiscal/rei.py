"""Importing the REI (recensement des éléments d'imposition): the DGFiP's wide file and OFGL's long file.

Both give, per commune and year, the base, rates, product and number of articles of each local tax. The wide file
has one row per commune and one column per variable (codes such as ``E11``, or their long French labels from the
2019 files on); the long file has one row per commune, year and variable (``annee;idcom;…;var;varlib;categorie;
dispositif_fiscal;destinataire;valeur``). Only the variables whose meaning public sources give are mapped, all of them
the commune's share: the foncier bâti (block E), the rates of the foncier non bâti (B12) and of the THRS (H12), and,
under their long labels, the bases and products of those two and the TEOM; the long file's other taxes are recognised
by their label.

A file is checked in full before anything is written: one error and nothing is imported. Rows for communes that
are not in the instance (or, in a commune's space, that are not the commune itself) are counted and skipped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django_tenants.utils import schema_context

from mutualise.imports import ImportFailed, parse_decimal, read_csv
from plugins.fiscal.models import FiscalBase

T = FiscalBase.Tax
FIELDS = ("base", "rate", "voted_rate", "product", "articles")

# Codes of the wide file whose meaning public sources give (docs/fiscal.md, "REI import"). Block E is the foncier
# bâti, B the foncier non bâti, H the taxe d'habitation; 1x is the commune's share (2x syndicats, 3x the GFP), x1 the
# base nette, x2 the taux net (x2VOTE voted), x3 the montant réel, x4 the number of articles. Only the codes seen in
# those sources are listed: no B11, B13, H11 or H13 is guessed from the pattern.
WIDE_CODES: dict[str, tuple[str, str]] = {
    "e11": (T.TFPB, "base"),
    "e12": (T.TFPB, "rate"),
    "e12vote": (T.TFPB, "voted_rate"),
    "e13": (T.TFPB, "product"),
    "e14": (T.TFPB, "articles"),
    "b12": (T.TFPNB, "rate"),
    "b12vote": (T.TFPNB, "voted_rate"),
    # Before 2023 the taxe d'habitation's rate applied to every dwelling; since, only to secondary residences: the
    # same column is the THRS rate.
    "h12": (T.THRS, "rate"),
    "h12vote": (T.THRS, "voted_rate"),
}
# Long labels (files of 2019 onwards, and OFGL's variable labels), compared without accents or punctuation.
WIDE_LABELS: dict[str, tuple[str, str]] = {
    "fb commune base nette": (T.TFPB, "base"),
    "fb commune taux net": (T.TFPB, "rate"),
    "fb commune taux vote": (T.TFPB, "voted_rate"),
    "fb commune montant reel": (T.TFPB, "product"),
    "fb commune nombre d articles": (T.TFPB, "articles"),
    "fnb commune base nette": (T.TFPNB, "base"),
    "fnb commune taux net": (T.TFPNB, "rate"),
    "fnb commune taux vote": (T.TFPNB, "voted_rate"),
    "fnb commune montant reel": (T.TFPNB, "product"),
    "th commune taux net": (T.THRS, "rate"),
    "th commune taux vote": (T.THRS, "voted_rate"),
    # Base and product of secondary residences only ("THS"); the unsuffixed TH base and product of the years before
    # 2023 include main residences and are not the THRS.
    "th commune base nette ths": (T.THRS, "base"),
    "th commune montant reel ths": (T.THRS, "product"),
    # TEOM of the commune's territory, whoever levies it: the full rate's zone ("taux plein"); the reduced-rate
    # zones some communes define have their own rates and bases, not read. The product and articles are the totals.
    "fb teom taux plein taux net": (T.TEOM, "rate"),
    "fb teom taux plein base nette": (T.TEOM, "base"),
    "fb teom montant reel total": (T.TEOM, "product"),
    "fb teom nombre d articles": (T.TEOM, "articles"),
}
YEAR_HEADINGS = ("annee", "exercice", "an")
LONG_REQUIRED = ("annee", "idcom", "categorie", "dispositif fiscal", "destinataire", "valeur")
INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")


def _plain(text: str) -> str:
    """Lower case, no accents, punctuation as spaces: ``FB - COMMUNE / TAUX VOTÉ`` → ``fb commune taux vote``."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def tax_of_label(label: str) -> str | None:
    """The tax named by a ``dispositif_fiscal`` label of the long file, or ``None`` for another tax."""
    plain = _plain(label)
    words = set(plain.split())
    if "teom" in words or "ordures" in words:
        return T.TEOM
    if "tfpnb" in words or "tfnb" in words or "fnb" in words or "non bati" in plain or "non baties" in plain:
        return T.TFPNB
    if "tfpb" in words or "tfb" in words or "fb" in words or "proprietes baties" in plain or "foncier bati" in plain:
        return T.TFPB
    if "thrs" in words or "ths" in words or "residences secondaires" in plain:
        return T.THRS
    return None


def field_of_long_row(var: str, varlib: str, categorie: str) -> tuple[str | None, str | None]:
    """(tax or None, field or None) of a long-file row: by documented code first, then by category and label."""
    code = _plain(var).replace(" ", "")
    if code in WIDE_CODES:
        return WIDE_CODES[code]
    category, label = _plain(categorie), _plain(varlib)
    if category == "base":
        return None, "base" if "base nette" in label else None
    if category == "taux":
        return None, "voted_rate" if "vote" in label else "rate"
    if category == "produit":
        return None, "product"
    if "nombre d articles" in label:
        return None, "articles"
    return None, None  # exonérations and other variables: not kept


@dataclass
class Parsed:
    """What a REI file holds: values per (INSEE code, year, tax), and the lines left aside."""

    values: dict[tuple[str, int, str], dict[str, Decimal | int]] = field(default_factory=dict)
    ignored_lines: int = 0  # variables or recipients (GFP, syndicats) the observatoire does not keep


def _year(text: str, line: int) -> int:
    if not re.fullmatch(r"\d{4}", text.strip()) or not 2000 <= int(text) <= 2100:
        raise ValueError(f"année illisible « {text} » (attendu AAAA)")
    return int(text)


def _value(name: str, text: str) -> Decimal | int | None:
    number = parse_decimal(text)
    if number is None:
        return None
    if name == "articles":
        if number != number.to_integral_value() or number < 0:
            raise ValueError(f"nombre d'articles illisible « {text} »")
        return int(number)
    return number


def _store(parsed: Parsed, key, name: str, value, line: int, seen: dict) -> None:
    slot = parsed.values.setdefault(key, {})
    if name in slot and slot[name] != value:
        raise ValueError(
            f"valeur en double pour {key[2].upper()} {key[1]} ({name}), déjà donnée ligne {seen[key, name]}"
        )
    slot[name] = value
    seen[key, name] = line


def parse(data: bytes, year: int | None = None) -> Parsed:
    """Read a REI file of either form; :class:`ImportFailed` with every error found (in French, per line)."""
    table = read_csv(data)
    header = [_plain(h) for h in table.header]
    if all(h in header for h in LONG_REQUIRED):
        return _parse_long(table, header)
    return _parse_wide(table, header, year)


def _parse_long(table, header) -> Parsed:
    parsed, errors, seen = Parsed(), [], {}
    names = dict(zip(table.header, header, strict=True))
    for line, raw in table.rows:
        cells = {names[k]: v for k, v in raw.items()}
        try:
            year = _year(cells.get("annee", ""), line)
            insee = cells.get("idcom", "").strip().upper()
            if not INSEE_RE.match(insee):
                raise ValueError(f"code commune (idcom) illisible « {insee} »")
            if _plain(cells.get("destinataire", "")) != "commune":
                parsed.ignored_lines += 1
                continue
            tax, name = field_of_long_row(cells.get("var", ""), cells.get("varlib", ""), cells.get("categorie", ""))
            tax = tax or tax_of_label(cells.get("dispositif fiscal", ""))
            if tax is None or name is None:
                parsed.ignored_lines += 1
                continue
            value = _value(name, cells.get("valeur", ""))
            if value is None:
                raise ValueError("valeur vide")
            _store(parsed, (insee, year, tax), name, value, line, seen)
        except ValueError as error:
            errors.append((line, str(error)))
    if errors:
        raise ImportFailed(errors)
    return parsed


def _insee_of_wide(cells: dict[str, str]) -> str:
    if cells.get("idcom") or cells.get("code insee"):
        return (cells.get("idcom") or cells.get("code insee")).strip().upper()
    # DEP and COM in the coded files, DEPARTEMENT and COMMUNE in those with long labels.
    dep = (cells.get("dep") or cells.get("departement") or "").strip().upper()
    com = (cells.get("com") or cells.get("commune") or "").strip()
    if not dep or not com:
        return ""
    # Overseas départements have three characters and two-digit commune numbers.
    return dep + com[-2:].zfill(2) if len(dep) == 3 else dep.zfill(2) + com.zfill(3)


def _parse_wide(table, header, year: int | None) -> Parsed:
    columns: dict[str, tuple[str, str]] = {}
    for original, plain in zip(table.header, header, strict=True):
        target = WIDE_CODES.get(plain.replace(" ", "")) or WIDE_LABELS.get(plain)
        if target:
            columns[original] = target
    has_commune = any(h in header for h in ("idcom", "code insee")) or any(
        d in header and c in header for d, c in (("dep", "com"), ("departement", "commune"))
    )
    if not has_commune:
        raise ImportFailed([(1, "Colonnes DEP et COM (ou IDCOM) introuvables : ce n'est pas un fichier REI.")])
    if not columns:
        raise ImportFailed(
            [(1, "Aucune variable connue (E11 à E14, B12, H12 ou leurs libellés longs) dans la première ligne.")]
        )
    year_heading = next((h for h, p in zip(table.header, header, strict=True) if p in YEAR_HEADINGS), None)
    if year_heading is None and year is None:
        raise ImportFailed([(0, "Le fichier ne donne pas l'année : indiquez-la avec le fichier.")])
    names = dict(zip(table.header, header, strict=True))
    parsed, errors, seen = Parsed(), [], {}
    for line, raw in table.rows:
        cells = {names[k]: v for k, v in raw.items()}
        try:
            row_year = _year(raw.get(year_heading, ""), line) if year_heading else year
            insee = _insee_of_wide(cells)
            if not INSEE_RE.match(insee):
                raise ValueError(f"code commune illisible « {insee} » (DEP et COM)")
            for original, (tax, name) in columns.items():
                value = _value(name, raw.get(original, ""))
                if value is not None:
                    _store(parsed, (insee, row_year, tax), name, value, line, seen)
        except ValueError as error:
            errors.append((line, str(error)))
    if errors:
        raise ImportFailed(errors)
    return parsed


@dataclass
class ImportResult:
    communes: int = 0
    rows: int = 0  # (commune, year, tax) written
    skipped_communes: list[str] = field(default_factory=list)  # INSEE codes left aside
    skipped_rows: int = 0
    ignored_lines: int = 0


def _write(values: dict[tuple[int, str], dict], source: str) -> int:
    """Create or update the commune's rows (in the schema of the connection); a value absent from the file is kept."""
    years = {year for year, _ in values}
    existing = {(b.year, b.tax): b for b in FiscalBase.objects.filter(year__in=years)}
    rows = []
    for (year, tax), slot in values.items():
        row = existing.get((year, tax)) or FiscalBase(year=year, tax=tax)
        for name, value in slot.items():
            setattr(row, name, value)
        row.source = source
        rows.append(row)
    FiscalBase.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["year", "tax"],
        update_fields=[*FIELDS, "source", "updated_at"],
    )
    return len(rows)


def import_rei(data: bytes, communes, *, year: int | None = None) -> ImportResult:
    """Import a REI file for ``communes`` (those the importer may write to), each into its own schema.

    One transaction for the whole file, across schemas (they are all in the same database): either every commune's
    rows are written or none. Returns what was written and what was left aside.
    """
    parsed = parse(data, year)
    source = FiscalBase.Source.OFGL if _is_long(data) else FiscalBase.Source.REI
    allowed = {c.insee_code: c for c in communes}
    per_commune: dict[str, dict] = defaultdict(dict)
    result = ImportResult(ignored_lines=parsed.ignored_lines)
    skipped = set()
    for (insee, row_year, tax), slot in parsed.values.items():
        if insee in allowed:
            per_commune[insee][(row_year, tax)] = slot
        else:
            skipped.add(insee)
            result.skipped_rows += 1
    result.skipped_communes = sorted(skipped)
    with transaction.atomic():
        for insee, values in sorted(per_commune.items()):
            with schema_context(allowed[insee].schema_name):
                result.rows += _write(values, source)
            result.communes += 1
    return result


def _is_long(data: bytes) -> bool:
    first = data[:2000].decode("utf-8", errors="ignore").split("\n", 1)[0].lower()
    return "dispositif_fiscal" in first
