"""Importing cadastral locals (MAJIC / fichiers fonciers extract as CSV) with PostgreSQL COPY.

A commune's file may hold 100,000 rows and an instance-wide one over a million, so the file is streamed: rows are
read with the ``csv`` module in batches, each batch is checked in Python column by column (one compiled pattern
over a whole column: the per-value checks run only on a column that fails, to name the lines), and written at once
to a ``COPY … FROM STDIN`` into a temporary staging table (PostgreSQL parses while Python reads on). At the end, in the same transaction, each
commune's table is replaced by its staged rows. One invalid row and nothing is written: the errors are listed per
line, in French, up to :data:`MAX_ERRORS`.

Rows are routed by commune (``idcom`` column, or the first five characters of the parcel): rows of a commune the
importer may not write to (outside the instance, not subscribing, or another commune than the one importing) are
counted and skipped.
"""

from __future__ import annotations

import csv
import gc
import io
import itertools
import logging
import operator
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection, transaction

from mutualise.imports import ImportFailed, normalise_heading, parse_decimal
from plugins.fiscal.models import Local

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
REBUILD_INDEXES_FROM = 5_000  # rows for one commune from which its indexes are dropped and rebuilt
BATCH_ROWS = 5000  # rows checked together, then written to the COPY stream in one piece
PROGRESS_EVERY = 50_000
NULL = ""  # COPY … (NULL ''): an empty field is NULL; the final INSERT turns text NULLs back into ""
PARCEL_RE = re.compile(r"(?:\d{5}|2[AB]\d{3})[0-9A-Z]{3}[0-9A-Z]{2}\d{4}")
MONEY_RE = re.compile(r"\d{1,10}(?:\.\d{1,2})?")
ID_RE = re.compile(r"[0-9A-Za-z]{1,20}")
CATEGORIES = {str(n): str(n) for n in range(1, 9)} | {f"0{n}": str(n) for n in range(1, 9)}
TRUE_WORDS = frozenset({"1", "oui", "o", "true", "vrai", "v", "vacant", "x", "t"})
FALSE_WORDS = frozenset({"", "0", "non", "n", "false", "faux"})

# field, SQL type of the staging column, converter kind, accepted headings (Cerema names, then plain French)
COLUMNS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("local_id", "varchar(20)", "id", ("idlocal", "identifiant du local", "identifiant local", "invar", "local")),
    ("parcel", "varchar(14)", "parcel", ("idpar", "parcelle", "référence cadastrale", "reference cadastrale")),
    ("address", "text", "text200", ("adresse", "adresse du local")),
    ("affectation", "text", "affectation", ("ccoaff", "affectation")),
    ("category", "smallint", "category", ("dcapec", "catégorie", "categorie")),
    ("surface", "integer", "int", ("stoth", "surface", "surface (m²)", "surface habitable")),
    ("year_built", "smallint", "year", ("jannath", "année de construction", "annee de construction")),
    ("year_renovated", "smallint", "year", ("année de rénovation", "annee de renovation")),
    ("rental_value", "numeric(12,2)", "money", ("dvltrt", "valeur locative", "vl")),
    ("vacant", "text", "vacancy", ("vacant", "vacance", "ccthp", "occupation")),
    ("vacant_since", "smallint", "year", ("vacant depuis", "année de vacance", "annee de vacance")),
    ("exoneration", "text", "text10", ("exonération", "exoneration", "code exonération")),
    ("exoneration_start", "smallint", "year", ("jandeb", "début d'exonération", "debut exoneration")),
    ("exoneration_end", "smallint", "year", ("janimp", "retour à l'imposition", "fin d'exonération")),
    ("owner_name", "text", "text200", ("propriétaire", "proprietaire", "ddenom", "nom du propriétaire")),
    ("owner_address", "text", "text300", ("adresse du propriétaire", "adresse proprietaire")),
)
REQUIRED = ("local_id", "parcel", "affectation")
COMMUNE_HEADINGS = ("idcom", "code commune", "code insee", "commune")
FIELD_NAMES = [c[0] for c in COLUMNS]
HEADING_LABEL = {"local_id": "identifiant du local", "parcel": "parcelle", "affectation": "affectation"}


# -- Converters: text of the CSV → text for COPY (``\N`` for nothing), or ValueError with a French message --------


def _id(value: str) -> str:
    value = value.strip()
    if not ID_RE.fullmatch(value):
        raise ValueError(f"identifiant du local illisible « {value} » (1 à 20 lettres ou chiffres)")
    return value


def _parcel(value: str) -> str:
    value = value.strip().upper().replace(" ", "")
    if not PARCEL_RE.fullmatch(value):
        raise ValueError(f"parcelle illisible « {value} » (14 caractères : commune, préfixe, section, numéro)")
    return value


def _text(limit: int) -> Callable[[str], str]:
    def convert(value: str) -> str:
        value = value.strip()
        if len(value) > limit:
            raise ValueError(f"texte trop long ({len(value)} caractères, {limit} au plus)")
        return value

    return convert


def _affectation(value: str) -> str:
    value = value.strip().upper()
    if not (0 < len(value) <= 2 and value.isalpha()):
        raise ValueError(f"affectation illisible « {value} » (H, P, …)")
    return value


def _category(value: str) -> str:
    if not value:
        return NULL
    try:
        return CATEGORIES[value.strip()]
    except KeyError:
        raise ValueError(f"catégorie « {value} » hors de 1 à 8") from None


def _int(value: str) -> str:
    value = value.strip()
    if not value:
        return NULL
    if not (value.isdigit() and len(value) <= 9):
        raise ValueError(f"nombre entier illisible « {value} »")
    return value


def _year(value: str) -> str:
    value = value.strip()
    if not value or value in ("0", "0000"):
        return NULL  # MAJIC writes 0 for an unknown year
    if not (value.isdigit() and len(value) == 4 and "1000" <= value <= "2100"):
        raise ValueError(f"année illisible « {value} » (AAAA)")
    return value


def _money(value: str) -> str:
    if MONEY_RE.fullmatch(value):
        return value
    text = value.replace(",", ".") if value.count(",") == 1 and "." not in value else value
    if MONEY_RE.fullmatch(text):
        return text
    if not value.strip():
        return "0"
    number = parse_decimal(value)  # "1 234,56 €" and other spreadsheet spellings; ValueError in French otherwise
    if number < 0 or number >= 10**10:
        raise ValueError(f"valeur locative hors limites « {value} »")
    return str(number.quantize(number.__class__("0.01")))


def _vacancy(value: str) -> str:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return "t"
    if word in FALSE_WORDS or (len(word) == 1 and word.isalpha()):
        return "f"  # the other MAJIC occupation codes (P propriétaire, L locataire…)
    raise ValueError(f"vacance illisible « {value} » (oui/non)")


CONVERTERS: dict[str, Callable[[str], str]] = {
    "id": _id,
    "parcel": _parcel,
    "text200": _text(200),
    "text300": _text(300),
    "text10": _text(10),
    "affectation": _affectation,
    "category": _category,
    "int": _int,
    "year": _year,
    "money": _money,
    "vacancy": _vacancy,
}
DEFAULTS = {"text200": "", "text300": "", "text10": "", "money": "0", "vacancy": "f"}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@dataclass
class Plan:
    """How the file's columns map to the table: the converter per field, where the commune code comes from."""

    converters: list[tuple[int | None, Callable[[str], str], str]]  # (index in the row, converter, default)
    commune_index: int | None
    parcel_index: int
    width: int


def plan_for(header: list[str]) -> Plan:
    """Match the file's headings with the fields; :class:`ImportFailed` if a required column is missing."""
    normalised = [normalise_heading(h) for h in header]
    position = {h: i for i, h in enumerate(normalised)}
    converters, missing = [], []
    found: dict[str, int] = {}
    for name, _sql, kind, aliases in COLUMNS:
        index = next((position[normalise_heading(a)] for a in aliases if normalise_heading(a) in position), None)
        if index is None and name in REQUIRED:
            missing.append(HEADING_LABEL[name])
        if index is not None:
            found[name] = index
        converters.append((index, CONVERTERS[kind], DEFAULTS.get(kind, NULL)))
    if missing:
        raise ImportFailed([(1, f"Colonne(s) introuvable(s) dans la première ligne : {', '.join(missing)}.")])
    commune_index = next((position[h] for h in COMMUNE_HEADINGS if h in position), None)
    return Plan(converters, commune_index, found["parcel"], len(header))


@dataclass
class LocalsResult:
    rows: int = 0
    per_commune: dict[str, int] = field(default_factory=dict)
    skipped_rows: int = 0
    skipped_communes: list[str] = field(default_factory=list)
    seconds_streaming: float = 0.0  # reading, checking and COPY into the staging table
    seconds_replacing: float = 0.0  # the communes' tables replaced from the staging table


def open_text(path: str) -> tuple[io.TextIOWrapper, int]:
    """The file as text (UTF-8 with or without BOM, else Windows-1252), and its size in bytes."""
    raw = open(path, "rb")  # noqa: SIM115  (closed by the caller through the wrapper)
    head = raw.read(65536)
    raw.seek(0, io.SEEK_END)
    size = raw.tell()
    raw.seek(0)
    if b"\x00" in head:
        raw.close()
        raise ImportFailed([(0, "Ce fichier n'est pas un fichier texte CSV (octets nuls).")])
    try:
        head.decode("utf-8")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as error:
        # a cut multi-byte character at the end of the sample is still UTF-8
        encoding = "utf-8-sig" if error.start >= len(head) - 3 else "cp1252"
    return io.TextIOWrapper(raw, encoding=encoding, newline=""), size


def staging_sql() -> str:
    """The temporary staging table: the commune's code, then the fields, typed as in the commune's table."""
    columns = ", ".join(f"{name} {sql}" for name, sql, _kind, _aliases in COLUMNS)
    return f"CREATE TEMPORARY TABLE fiscal_stage (commune varchar(5), {columns}) ON COMMIT DROP"


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def import_locals(
    path: str,
    communes: Iterable,
    *,
    progress: Callable[[float], None] | None = None,
) -> LocalsResult:
    """Stream the CSV at ``path`` into the locals of ``communes`` (replacing each commune's table found in the file).

    All or nothing: :class:`ImportFailed` with the errors (at most :data:`MAX_ERRORS`) and nothing written, or the
    counts per commune. ``progress`` is called now and then with the share of the file read (0 to 1).
    """
    allowed = {c.insee_code: c for c in communes}
    text, size = open_text(path)
    with text:
        reader = csv.reader(text, delimiter=_sniff(text))
        try:
            header = next(reader)
        except StopIteration:
            raise ImportFailed([(0, "Le fichier est vide.")]) from None
        plan = plan_for(header)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS pg_temp.fiscal_stage")  # left by an enclosing transaction
            cursor.execute(staging_sql())
            columns = ", ".join(["commune", *FIELD_NAMES])
            started = time.perf_counter()
            # The rows are short-lived containers by the million: the cyclic garbage collector would walk every
            # survivor again and again (and the set of keys seen) for nothing; reference counting frees them.
            collecting = gc.isenabled()
            gc.disable()
            try:
                with cursor.copy(f"COPY pg_temp.fiscal_stage ({columns}) FROM STDIN (NULL '')") as copy:
                    counts, skipped = _stream(reader, plan, allowed, copy, text, size, progress)
            finally:
                if collecting:
                    gc.enable()
            result = LocalsResult(
                rows=sum(counts.values()),
                per_commune=dict(sorted(counts.items())),
                skipped_rows=sum(skipped.values()),
                skipped_communes=sorted(skipped),
                seconds_streaming=time.perf_counter() - started,
            )
            started = time.perf_counter()
            if len(counts) > 1:
                cursor.execute("CREATE INDEX ON pg_temp.fiscal_stage (commune)")
                cursor.execute("ANALYZE pg_temp.fiscal_stage")  # else each commune's INSERT scans the whole table
            names = ", ".join(FIELD_NAMES)
            expressions = ", ".join(SELECT_EXPRESSIONS.get(name, name) for name in FIELD_NAMES)
            table = _quote(Local._meta.db_table)
            for insee in sorted(counts):
                schema = allowed[insee].schema_name
                target = f"{_quote(schema)}.{table}"
                cursor.execute(f"TRUNCATE {target}")
                rebuild = _drop_indexes(cursor, schema, target) if counts[insee] >= REBUILD_INDEXES_FROM else []
                where = " WHERE commune = %s" if len(counts) > 1 else ""
                cursor.execute(
                    f"INSERT INTO {target} ({names}) SELECT {expressions} FROM pg_temp.fiscal_stage{where}",
                    [insee] if where else None,
                )
                for statement in rebuild:
                    cursor.execute(statement)
    result.seconds_replacing = time.perf_counter() - started
    logger.info(
        "Locaux importés : %d lignes, lecture et COPY %.1f s, remplacement %.1f s",
        result.rows,
        result.seconds_streaming,
        result.seconds_replacing,
    )
    if progress:
        progress(1.0)
    return result


def _drop_indexes(cursor, schema: str, target: str) -> list[str]:
    """Drop the indexes of the (just emptied) locals table of ``schema``; return the statements that rebuild them.

    Building an index once over all the rows (a sort) is much cheaper than inserting every row into it; the
    primary key's uniqueness is already checked while the file is read. Everything stays in the transaction.
    """
    table = Local._meta.db_table
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(c.oid) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s AND c.conrelid = %s::regclass AND c.contype = 'p'",
        [schema, target],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = %s",
        [schema, table],
    )
    owned = {name for name, _ in constraints}
    indexes = [(name, definition) for name, definition in cursor.fetchall() if name not in owned]
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {target} DROP CONSTRAINT {_quote(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {_quote(schema)}.{_quote(name)}")
    return [f"ALTER TABLE {target} ADD CONSTRAINT {_quote(name)} {definition}" for name, definition in constraints] + [
        definition for _, definition in indexes
    ]


def _sniff(text: io.TextIOWrapper) -> str:
    first = text.readline()
    text.seek(0)
    return ";" if first.count(";") >= first.count(",") else ","


# Whole-column checks: one pattern per value kind, matched once over the column joined by newlines.
FAST_PATTERNS = {
    "id": r"[0-9A-Za-z]{1,20}",
    "parcel": r"(?:\d{5}|2[AB]\d{3})[0-9A-Z]{5}\d{4}",
    "affectation": r"[A-Za-z]{1,2}",
    "category": r"(?:0?[1-8])?",
    "int": r"\d{0,9}",
    "year": r"(?:1\d{3}|20\d{2}|2100|0{1,4})?",
    "money": r"(?:\d{1,10}(?:[.,]\d{1,2})?)?",
    "vacancy": r"(?i:[a-z]|[01]|oui|non|true|false|vrai|faux|vacant)?",
}
FAST = {kind: re.compile(f"(?:{p})(?:\n(?:{p}))*") for kind, p in FAST_PATTERNS.items()}
TEXT_LIMITS = {"text200": 200, "text300": 300, "text10": 10}
SPECIAL = re.compile(r"[\t\\\n\r]")
# The staging row → the commune's row: defaults and codes PostgreSQL converts faster than Python would.
VACANT_WORDS = ", ".join(f"'{w}'" for w in sorted(TRUE_WORDS))
SELECT_EXPRESSIONS = {
    "address": "coalesce(address, '')",
    "affectation": "upper(affectation)",
    "year_built": "nullif(year_built, 0)",
    "year_renovated": "nullif(year_renovated, 0)",
    "rental_value": "coalesce(rental_value, 0)",
    "vacant": f"coalesce(lower(vacant) IN ({VACANT_WORDS}), false)",
    "vacant_since": "nullif(vacant_since, 0)",
    "exoneration": "coalesce(exoneration, '')",
    "exoneration_start": "nullif(exoneration_start, 0)",
    "exoneration_end": "nullif(exoneration_end, 0)",
    "owner_name": "coalesce(owner_name, '')",
    "owner_address": "coalesce(owner_address, '')",
}


class _Errors:
    """The errors found so far, with the cap on how many are kept."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, line: int, message: str) -> None:
        self.items.append((line, message))

    @property
    def full(self) -> bool:
        return len(self.items) >= MAX_ERRORS


class _Lines:
    """The file line of each row of a batch read between lines ``first`` (excluded) and ``last``, worked out only
    when an error needs it (rows are counted, unless quoted cells spread over several lines)."""

    def __init__(self, rows: list[list[str]], first: int, last: int) -> None:
        self.rows, self.first, self.last = rows, first, last
        self.numbers: list[int] | None = None

    def __call__(self) -> list[int]:
        if self.numbers is None:
            if self.last - self.first == len(self.rows):
                self.numbers = list(range(self.first + 1, self.last + 1))
            else:
                self.numbers, line = [], self.first
                for row in self.rows:
                    line += 1 + sum(cell.count("\n") for cell in row)
                    self.numbers.append(line)
        return self.numbers


def _check_column(kind: str, values: tuple[str, ...], lines, errors: _Errors) -> list[str] | tuple[str, ...] | None:
    """The column converted for COPY, or ``None`` after recording its errors (with their lines)."""
    if kind in TEXT_LIMITS:
        joined = "\x1f".join(values)
        if max(map(len, values)) <= TEXT_LIMITS[kind] and not SPECIAL.search(joined):
            return values
        converter = CONVERTERS[kind]
    else:
        joined = "\n".join(values)
        if kind == "parcel":
            joined = joined.upper()
        if FAST[kind].fullmatch(joined):
            if kind == "money" and "," in joined:
                return joined.replace(",", ".").split("\n")
            return joined.split("\n") if kind == "parcel" else values
        converter = CONVERTERS[kind]
    converted, failed = [], False
    for index, value in enumerate(values):
        try:
            converted.append(converter(value))
        except ValueError as error:
            failed = True
            errors.add(lines()[index], str(error))
            if errors.full:
                break
    if failed:
        return None
    return [_escape(x) if kind in TEXT_LIMITS else x for x in converted]


def _stream(reader, plan: Plan, allowed: dict, copy, text, size: int, progress) -> tuple[Counter, Counter]:
    """Check and convert the rows batch by batch, writing good batches to ``copy`` until the first error.

    Raises :class:`ImportFailed` at the end if any row was wrong (inside the COPY, which psycopg then aborts).
    """
    width, commune_index, parcel_index = plan.width, plan.commune_index, plan.parcel_index
    kinds = [kind for _name, _sql, kind, _aliases in COLUMNS]
    counts: Counter = Counter()
    skipped: Counter = Counter()
    errors = _Errors()
    seen: set[str] = set()  # commune + "|" + local id: strings, which the garbage collector does not track
    keys = allowed.keys()
    writing = True
    last_line = reader.line_num
    try:
        while not errors.full:
            rows = list(itertools.islice(reader, BATCH_ROWS))
            if not rows:
                break
            first_line, last_line = last_line, reader.line_num
            lines = _Lines(rows, first_line, last_line)
            if len(set(map(len, rows))) != 1 or len(rows[0]) != width:
                kept, kept_lines = [], []
                for row, line in zip(rows, lines(), strict=True):
                    if len(row) == width:
                        kept.append(row)
                        kept_lines.append(line)
                    elif any(cell.strip() for cell in row):
                        errors.add(line, f"{len(row)} valeurs pour {width} colonnes.")
                rows, lines.numbers = kept, kept_lines
                if not rows:
                    continue
            columns = list(zip(*rows, strict=True))
            parcels = _check_column("parcel", columns[parcel_index], lines, errors)
            if commune_index is not None:
                communes = [v.strip().upper() for v in columns[commune_index]]
            elif parcels is not None:
                communes = [p[:5] for p in parcels]
            else:
                communes = [v.strip()[:5].upper() for v in columns[parcel_index]]
            if not keys >= set(communes):
                mask = [c in allowed for c in communes]
                for commune, ok in zip(communes, mask, strict=True):
                    if not ok:
                        skipped[commune] += 1
                if not any(mask):
                    continue
                lines.numbers = list(itertools.compress(lines(), mask))
                rows = list(itertools.compress(rows, mask))
                communes = list(itertools.compress(communes, mask))
                columns = list(zip(*rows, strict=True))
                parcels = _check_column("parcel", columns[parcel_index], lines, errors)
            out = [communes]
            for (index, _convert, _default), kind in zip(plan.converters, kinds, strict=True):
                if index is None:
                    out.append(itertools.repeat("", len(rows)))
                elif index == parcel_index:
                    out.append(parcels)
                else:
                    out.append(_check_column(kind, columns[index], lines, errors))
            if out[1] is not None:
                batch_keys = set(map(operator.add, map(operator.add, communes, itertools.repeat("|")), out[1]))
                if len(batch_keys) != len(rows) or not seen.isdisjoint(batch_keys):
                    writing = False
                    _duplicates(communes, out[1], lines(), seen, errors)
                    continue
                seen |= batch_keys
            if any(column is None for column in out):
                writing = False
                continue
            counts.update(communes)
            if writing and not errors.items:
                copy.write("\n".join(map("\t".join, zip(*out, strict=True))) + "\n")
            if progress:
                progress(min(text.buffer.tell() / size, 0.99) if size else 0)
    except UnicodeDecodeError:
        errors.add(reader.line_num + 1, "caractères illisibles : enregistrez le fichier en CSV UTF-8.")
    except csv.Error as error:
        errors.add(reader.line_num, f"ligne illisible ({error}).")
    if errors.items:
        found = sorted(errors.items)[:MAX_ERRORS]
        if errors.full:
            found.append((0, f"La vérification s'est arrêtée après {MAX_ERRORS} erreurs."))
        raise ImportFailed(found)
    if not counts:
        raise ImportFailed([(0, "Aucune ligne du fichier ne concerne une commune que vous pouvez mettre à jour.")])
    return counts, skipped


def _duplicates(communes, ids, lines, seen: set, errors: _Errors) -> None:
    """Name the lines whose local is already in the file (in an earlier batch, or earlier in this one)."""
    first_seen: dict[str, int] = {}
    for commune, local_id, line in zip(communes, ids, lines, strict=True):
        key = f"{commune}|{local_id}"
        if key in seen:
            errors.add(line, f"identifiant du local « {local_id} » en double dans le fichier.")
        elif key in first_seen:
            errors.add(line, f"identifiant du local « {local_id} » en double (déjà ligne {first_seen[key]}).")
        else:
            first_seen[key] = line
    seen.update(first_seen)
