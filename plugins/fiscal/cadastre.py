"""Importing cadastral locals (MAJIC / fichiers fonciers extract as CSV): PostgreSQL does the per-row work, in C.

A commune's file may hold 100,000 rows and an instance-wide one over a million. Python touches the rows as little as
possible. The staging table is committed (so that a second connection may read it) when the import runs in a
transaction of its own, then dropped; inside a caller's transaction, everything stays in it. One import runs at a
time on the instance (an advisory lock):

1. **Load.** The file's own bytes (after its BOM) go, 1 MB at a time, to ``COPY … FROM STDIN (FORMAT csv, HEADER,
   FORCE_NOT_NULL, FREEZE)`` into an all-text staging table, unlogged (PostgreSQL scans it in parallel, which it never
   does for a temporary table). The table has no line column: created and filled by one COPY in this transaction,
   it holds the rows in file order, so a row's line is its rank by ``ctid`` plus one (the heading), worked out only
   for the errors. Windows-1252 files are converted by COPY itself (``ENCODING 'WIN1252'``); a byte that is no text
   is told in French with the line COPY names. Three things COPY reads otherwise than a spreadsheet or refuses send
   the file to :func:`_load_tolerant` instead (Python's ``csv``, slow, but only for such files), which names every
   faulty line: a row with too many or too few cells, a quote never closed, a quote inside an unquoted value
   (``SCI "LES OLIVIERS"``, spotted in each chunk by a regular expression over bytes before it is sent).
2. **Check.** One aggregate query over the staging table counts the rows per commune, finds where each commune's
   rows lie (first and last ``ctid``), and counts the rows of the communes the importer may write to whose codes
   break a rule (local id, parcel, affectation, vacancy). Values are tested with the cheapest C functions that decide
   them: hashed ``IN`` lists of the allowed spellings, ``ltrim`` of the value's bytes by a set of characters,
   lengths — PostgreSQL's regular expressions cost several times more. Rows of other communes are counted and
   skipped, unchecked.
3. **Replace.** Each commune's table is built anew beside the old one (``fiscal_local_new``: ``CREATE TABLE … (LIKE
   fiscal_local INCLUDING ALL EXCLUDING INDEXES)``, same owner and grants), its rows inserted by one ``INSERT …
   SELECT`` converting in SQL (decimal comma, MAJIC's year 0, vacancy words), then its primary key and indexes built
   over all the rows at once (their definitions read from the catalogue). Numbers are checked there: the casts refuse
   what is no number, the column lengths what is too long, and a constraint added for the insert (and dropped after
   it) the numbers out of range. A local id twice in a commune fails the primary key's build. When the file is sorted
   by commune, each commune's rows are read by their place in the table (a TID range scan, no index); otherwise
   through an index on the commune code. When the import runs in a transaction of its own (the task) and writes
   several communes, the tables are built on two connections at once, each taking the next one, the largest first
   (the second connection's are committed, this one's stay in its transaction); then, in one transaction, every old
   table is dropped and its new one renamed, with its constraint and indexes, to the old names: readers see the
   previous extract until that commit, and a failure drops the new tables (those an interrupted import left are
   dropped by the next one). Nothing refers to the table by its identity (no foreign key to it, no view on it; ``DROP
   TABLE`` without ``CASCADE`` would refuse otherwise).
4. **Errors.** On any fault, the work of step 3 is rolled back and the faulty rows are read back with the complete
   rules in SQL (the first :data:`MAX_ERRORS` by line): the Python rules below word the same French messages as
   before, duplicates are listed with the line of their first occurrence, and line numbers are moved past the line
   breaks of quoted values. Nothing is written, the previous extract stays.

Rows are routed by commune (``idcom`` column, or the first five characters of the parcel): rows of a commune the
importer may not write to (outside the instance, not subscribing, or another commune than the one importing) are
counted and skipped. Codes are read as written (a code with spaces around it is an error); numbers as PostgreSQL
reads them; text as it is.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import functools
import io
import itertools
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import psycopg
from django.db import DatabaseError, DataError, connection, transaction

from mutualise.imports import UNREADABLE, ImportFailed, normalise_heading
from mutualise.schemas import quoted
from plugins.fiscal.models import Local

logger = logging.getLogger(__name__)

MAX_ERRORS = 100
CHUNK_BYTES = 1 << 20  # bytes of the file sent to COPY at a time
PROGRESS_STEP = 0.02  # share of the file between two progress reports
# Shares of the progress bar: loading (by bytes sent), checking, then replacing (by rows written).
LOADING_SHARE, CHECKING_SHARE = 0.55, 0.1
PARCEL_RE = re.compile(r"(?:\d{5}|2[AB]\d{3})[0-9A-Z]{3}[0-9A-Z]{2}\d{4}")
ID_RE = re.compile(r"[0-9A-Za-z]{1,20}")
DIGITS = "0123456789"
UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LETTERS = UPPER + UPPER.lower()
CATEGORIES = {str(n): str(n) for n in range(1, 9)} | {f"0{n}": str(n) for n in range(1, 9)}
TRUE_WORDS = frozenset({"1", "oui", "o", "true", "vrai", "v", "vacant", "x", "t"})
FALSE_WORDS = frozenset({"", "0", "non", "n", "false", "faux"})
UNKNOWN_YEARS = ("", "0", "0000")  # MAJIC writes 0 for an unknown year
NUMBER_NOISE_CHARS = " \u00a0\u202f€"  # spaces, no-break spaces and the euro sign around or inside an amount
NUMBER_NOISE = str.maketrans("", "", NUMBER_NOISE_CHARS)
MONEY_TAILS = (
    "",
    *(f"{s}{d}" for s in ".," for d in DIGITS),
    *(f"{s}{d}{e}" for s in ".," for d in DIGITS for e in DIGITS),
)

# field, SQL type in the commune's table, kind of value, accepted headings (Cerema names, then plain French)
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
TEXT_LIMITS = {"text200": 200, "text300": 300, "text10": 10}
ENCODING_ERROR = "caractères illisibles : enregistrez le fichier en CSV UTF-8."


# -- The rules, in Python: they word the French message of a value the SQL checks below refused ----------------------


def _id(value: str) -> None:
    if not ID_RE.fullmatch(value):
        raise ValueError(f"identifiant du local illisible « {value} » (1 à 20 lettres ou chiffres)")


def _parcel(value: str) -> None:
    if not PARCEL_RE.fullmatch(value):
        raise ValueError(f"parcelle illisible « {value} » (14 caractères : commune, préfixe, section, numéro)")


def _text(limit: int) -> Callable[[str], None]:
    def check(value: str) -> None:
        if len(value) > limit:
            raise ValueError(f"texte trop long ({len(value)} caractères, {limit} au plus)")

    return check


def _affectation(value: str) -> None:
    if not (0 < len(value) <= 2 and all(c in LETTERS for c in value)):
        raise ValueError(f"affectation illisible « {value} » (H, P, …)")


def _category(value: str) -> None:
    if value and value not in CATEGORIES:
        raise ValueError(f"catégorie « {value} » hors de 1 à 8")


def _int(value: str) -> None:
    if value and not (len(value) <= 9 and all(c in DIGITS for c in value)):
        raise ValueError(f"nombre entier illisible « {value} »")


def _year(value: str) -> None:
    if value in UNKNOWN_YEARS:
        return
    if not (len(value) == 4 and all(c in DIGITS for c in value) and "1000" <= value <= "2100"):
        raise ValueError(f"année illisible « {value} » (AAAA)")


def _money(value: str) -> None:
    if not value:
        return
    text = _plain_number(value)
    tail = text.lstrip(DIGITS)
    digits = len(text) - len(tail)
    if tail not in MONEY_TAILS or not digits:
        raise ValueError(f"nombre illisible « {value} »")
    if digits > 10:
        raise ValueError(f"valeur locative hors limites « {value} »")


def _plain_number(value: str) -> str:
    """``1 234,50 €`` → ``1234,50``: spaces and euro sign dropped, and the thousands' points when a comma is the
    decimal separator (as ``mutualise.imports.parse_decimal`` reads spreadsheets' numbers)."""
    text = value.translate(NUMBER_NOISE)
    return text.replace(".", "") if "," in text else text


def _vacancy(value: str) -> None:
    if value.lower() not in VACANCY_WORDS:
        raise ValueError(f"vacance illisible « {value} » (oui/non)")


CHECKS: dict[str, Callable[[str], None]] = {
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
# the other MAJIC occupation codes (P propriétaire, L locataire…) are one letter: not vacant
VACANCY_WORDS = TRUE_WORDS | FALSE_WORDS | set(UPPER.lower())


# -- The same rules in SQL, and the conversions to the commune's table --------------------------------------------


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    """A constant list PostgreSQL hashes once: ``IN`` then costs one lookup per value, whatever its length."""
    return "(" + ", ".join(_literal(v) for v in sorted(set(values))) + ")"


def _cases(words: Iterable[str]) -> set[str]:
    """Every spelling of ``words`` in upper and lower case letters: looked up as they are, without ``lower()``."""
    spellings: set[str] = set()
    for word in words:
        spellings.update(map("".join, itertools.product(*({c.lower(), c.upper()} for c in word))))
    return spellings


def _only(v: str, chars: str, start: int = 1, length: int | None = None) -> str:
    """SQL: the bytes of ``v`` (from ``start``, ``length`` of them) are all among the ASCII ``chars``.

    ``ltrim`` on text walks both strings character by character (the database is UTF-8); on the text's bytes
    (``textsend``) it compares bytes, several times faster.
    """
    data = f"textsend({v})" if start == 1 and length is None else f"substr(textsend({v}), {start}, {length or 100})"
    return f"ltrim({data}, '\\x{chars.encode().hex()}'::bytea) = ''::bytea"


AFFECTATIONS = [*LETTERS, *(a + b for a in LETTERS for b in LETTERS)]
YEARS = [*UNKNOWN_YEARS, *(str(y) for y in range(1000, 2101))]
VACANCY_SPELLINGS = _cases(VACANCY_WORDS)
VACANT_SPELLINGS = _cases(TRUE_WORDS)


def valid_sql(kind: str, v: str, *, parcel_routes: bool = False) -> str:
    """SQL that is true when the text ``v`` passes the rule ``kind`` (the same rules as :data:`CHECKS`)."""
    if kind == "id":
        return f"(octet_length({v}) BETWEEN 1 AND 20 AND {_only(v, DIGITS + LETTERS)})"
    if kind == "parcel":
        rest = f"{_only(v, DIGITS + UPPER, 6, 5)} AND {_only(v, DIGITS, 11, 4)}"
        if parcel_routes:  # its first five characters are then one of the instance's INSEE codes already
            return f"(octet_length({v}) = 14 AND {rest})"
        commune = f"({_only(v, DIGITS, 1, 5)} OR (left({v}, 2) IN ('2A', '2B') AND {_only(v, DIGITS, 3, 3)}))"
        return f"(octet_length({v}) = 14 AND {rest} AND {commune})"
    if kind in TEXT_LIMITS:
        limit = TEXT_LIMITS[kind]
        return f"(octet_length({v}) <= {limit} OR char_length({v}) <= {limit})"
    if kind == "affectation":
        return f"{v} IN {_in(AFFECTATIONS)}"
    if kind == "category":
        return f"{v} IN {_in(['', *CATEGORIES])}"
    if kind == "int":
        return f"(octet_length({v}) <= 9 AND {_only(v, DIGITS)})"
    if kind == "year":
        return f"{v} IN {_in(YEARS)}"
    if kind == "money":
        # the plain spelling (1234,50 or 1234.50) decided first, the spreadsheet's one (1 234,50 €) only if needed
        return f"({plain_money_sql(v)} OR {_money_sql(_plain_number_sql(v))})"
    if kind == "vacancy":
        return f"{v} IN {_in(VACANCY_SPELLINGS)}"
    raise ValueError(kind)


def plain_money_sql(v: str) -> str:
    """SQL: ``v`` is empty or an amount in digits with a decimal point or comma, converted by the plain expression."""
    return f"({v} = '' OR {_money_sql(v)})"


def _money_sql(v: str) -> str:
    tail = f"ltrim(textsend({v}), '\\x{DIGITS.encode().hex()}'::bytea)"
    tails = ", ".join(f"'\\x{t.encode().hex()}'::bytea" for t in MONEY_TAILS)
    return f"({tail} IN ({tails}) AND octet_length({v}) - octet_length({tail}) BETWEEN 1 AND 10)"


def _plain_number_sql(v: str) -> str:
    noise = _literal(NUMBER_NOISE_CHARS)
    return (
        f"(CASE WHEN strpos({v}, ',') > 0 THEN translate({v}, {_literal('.' + NUMBER_NOISE_CHARS)}, '') "
        f"ELSE translate({v}, {noise}, '') END)"
    )


def convert_sql(kind: str, v: str | None, *, plain_money: bool = True) -> str:
    """SQL turning the text ``v`` (``None``: no such column in the file) into the commune table's value.

    ``plain_money``: the cheaper conversion of amounts, which fails on a spreadsheet's ``1 234,50 €``.
    """
    if v is None:
        return {"money": "0", "vacancy": "false"}.get(kind, "''" if kind in TEXT_LIMITS else "NULL")
    if kind == "affectation":
        # upper() converts through wide characters: only for the values that need it
        return f"CASE WHEN {v} IN {_in(a.upper() for a in AFFECTATIONS)} THEN {v} ELSE upper({v}) END"
    if kind == "category":
        return f"nullif({v}, '')::smallint"
    if kind == "int":
        return f"nullif({v}, '')::integer"
    if kind == "year":
        return f"nullif(nullif({v}, '')::smallint, 0)"
    if kind == "money":
        number = v if plain_money else _plain_number_sql(v)
        return f"coalesce(replace(nullif({number}, ''), ',', '.')::numeric, 0)"
    if kind == "vacancy":
        return f"{v} IN {_in(VACANT_SPELLINGS)}"
    return v


@dataclass
class Plan:
    """How the file's columns map to the fields: the file's column of each field, and where the commune comes from."""

    indexes: dict[str, int | None]  # field → index of its column in the file
    commune_index: int | None
    width: int

    def column(self, name: str) -> str | None:
        index = self.indexes[name]
        return None if index is None else f"c{index + 1}"

    @property
    def commune_sql(self) -> str:
        if self.commune_index is not None:
            return f"c{self.commune_index + 1}"
        return f"left({self.column('parcel')}, 5)"


def plan_for(header: list[str]) -> Plan:
    """Match the file's headings with the fields; :class:`ImportFailed` if a required column is missing."""
    normalised = [normalise_heading(h) for h in header]
    position: dict[str, int] = {}
    for i, h in enumerate(normalised):
        position.setdefault(h, i)
    indexes: dict[str, int | None] = {}
    missing = []
    for name, _sql, _kind, aliases in COLUMNS:
        index = next((position[normalise_heading(a)] for a in aliases if normalise_heading(a) in position), None)
        if index is None and name in REQUIRED:
            missing.append(HEADING_LABEL[name])
        indexes[name] = index
    if missing:
        raise ImportFailed([(1, f"Colonne(s) introuvable(s) dans la première ligne : {', '.join(missing)}.")])
    commune_index = next((position[h] for h in COMMUNE_HEADINGS if h in position), None)
    return Plan(indexes, commune_index, len(header))


@dataclass
class LocalsResult:
    """What an import wrote (rows per commune), skipped (rows of other communes) and how long each phase took."""

    rows: int = 0
    per_commune: dict[str, int] = field(default_factory=dict)
    skipped_rows: int = 0
    skipped_communes: list[str] = field(default_factory=list)
    seconds_loading: float = 0.0  # the file sent to COPY into the staging table
    seconds_checking: float = 0.0  # every row checked and counted per commune, in one query
    seconds_replacing: float = 0.0  # the communes' tables replaced from the staging table, of which:
    seconds_indexing: float = 0.0  # the indexes rebuilt


@dataclass
class Source:
    """The file as COPY reads it: where its data starts (after any BOM), its encoding, delimiter and headings."""

    path: str
    size: int
    start: int
    encoding: str  # PostgreSQL's name
    codec: str  # Python's name
    delimiter: str
    header: list[str]
    newline: bytes  # the end of the first line: COPY wants the same at the end of every line


def open_source(path: str) -> Source:
    """Look at the start of the file: BOM, encoding (UTF-8, else Windows-1252), delimiter and headings."""
    with open(path, "rb") as raw:
        head = raw.read(65536)
        size = raw.seek(0, io.SEEK_END)
    if b"\x00" in head:
        raise ImportFailed([(0, "Ce fichier n'est pas un fichier texte CSV (octets nuls).")])
    start = 3 if head.startswith(b"\xef\xbb\xbf") else 0
    try:
        head[start:].decode("utf-8")
        encoding, codec = "UTF8", "utf-8"
    except UnicodeDecodeError as error:
        # a multi-byte character cut at the end of the sample is still UTF-8
        encoding, codec = ("UTF8", "utf-8") if error.start >= len(head) - start - 3 else ("WIN1252", "cp1252")
    line = head[start:].split(b"\n", 1)[0]
    newline = b"\r\n" if line.endswith(b"\r") else b"\n"
    first = line.decode(codec, errors="replace").rstrip("\r")
    if not first.strip():
        raise ImportFailed([(0, "Le fichier est vide.")])
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    header = next(csv.reader([first], delimiter=delimiter))
    return Source(path, size, start, encoding, codec, delimiter, header, newline)


def import_locals(
    path: str,
    communes: Iterable,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> LocalsResult:
    """Import the CSV at ``path`` into the locals of ``communes`` (replacing each commune's table found in the file).

    All or nothing: :class:`ImportFailed` with the errors (at most :data:`MAX_ERRORS`) and nothing written, or the
    counts per commune. ``progress`` is called now and then with the share done (0 to 1) and the phase's name
    (``lecture``, ``vérification``, ``enregistrement``).
    """
    allowed = {c.insee_code: c for c in communes}
    source = open_source(path)
    plan = plan_for(source.header)
    report = progress or (lambda share, phase: None)
    # in the public schema, whatever the space importing
    stage = f'public."fiscal_stage_{uuid.uuid4().hex[:12]}"'
    result = LocalsResult()
    # run on its own (the task), the import commits the staging table before the communes' tables are built, so that
    # a second connection may read it; inside a caller's transaction, everything stays in it, on one connection
    own_transaction = not connection.in_atomic_block
    with connection.cursor() as cursor, _one_import_at_a_time(cursor, session=own_transaction):
        worker = None
        try:
            with transaction.atomic():
                started = time.perf_counter()
                shape_errors, tolerant = _load(cursor, stage, source, plan, report)
                result.seconds_loading = time.perf_counter() - started

                started = time.perf_counter()
                report(LOADING_SHARE, "vérification")
                found = _count_and_check(cursor, stage, plan, allowed)
                if found.faulty or shape_errors:
                    raise ImportFailed(_diagnose(cursor, stage, plan, allowed, shape_errors, tolerant=tolerant))
                if not found.counts:
                    raise ImportFailed(
                        [(0, "Aucune ligne du fichier ne concerne une commune que vous pouvez mettre à jour.")]
                    )
                if len(found.counts) + len(found.skipped) > 1 and not found.contiguous:
                    # each commune's rows are then read through this index, not the whole staging table
                    cursor.execute(f"CREATE INDEX ON {stage} (({plan.commune_sql}))")
                result.seconds_checking = time.perf_counter() - started
            result.rows = sum(found.counts.values())
            result.per_commune = dict(sorted(found.counts.items()))
            result.skipped_rows = sum(found.skipped.values())
            result.skipped_communes = sorted(found.skipped)

            started = time.perf_counter()
            report(LOADING_SHARE + CHECKING_SHARE, "enregistrement")
            if own_transaction and len(found.counts) > 1 and result.rows >= PARALLEL_FROM:
                worker = psycopg.connect(**connection.get_connection_params())
            replace = functools.partial(_replace, cursor, stage, plan, allowed, found, report=report, worker=worker)
            try:
                try:
                    with transaction.atomic():
                        replace(plain_money=True, result=result)
                except DataError:
                    # amounts written as spreadsheets do (1 234,50 €): again, with the conversion that reads them
                    result.seconds_indexing = 0.0
                    with transaction.atomic():
                        replace(plain_money=False, result=result)
            except DatabaseError:
                # a value the types or the rules' constraint refused, a local id twice in a commune (its primary
                # key could not be built): find and word every fault
                errors = _diagnose(cursor, stage, plan, allowed, [], tolerant=tolerant)
                if not errors:
                    raise
                raise ImportFailed(errors) from None
            result.seconds_replacing = time.perf_counter() - started
        finally:
            if worker is not None:
                worker.close()
            _drop_leftovers(cursor, [c.schema_name for c in allowed.values()], stage)
    logger.info(
        "Locaux importés : %d lignes, chargement %.1f s, vérification %.1f s, remplacement %.1f s (index %.1f s)",
        result.rows,
        result.seconds_loading,
        result.seconds_checking,
        result.seconds_replacing,
        result.seconds_indexing,
    )
    report(1.0, "enregistrement")
    return result


@contextlib.contextmanager
def _one_import_at_a_time(cursor, *, session: bool):
    """Hold the instance's cadastral import lock (one import at a time: the new tables and staging tables of any
    other are then leftovers of an import that stopped, dropped here). ``session``: held until released (the import
    commits several transactions), else until the caller's transaction ends."""
    cursor.execute(f"SELECT pg_advisory{'' if session else '_xact'}_lock(%s)", [IMPORT_LOCK])
    try:
        cursor.execute(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND (c.relname = %s "
            "OR (n.nspname = 'public' AND c.relname LIKE 'fiscal\\_stage\\_%%'))",
            [NEW_TABLE],
        )
        for (table,) in cursor.fetchall():
            logger.warning("Table laissée par un import interrompu supprimée : %s", table)
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        yield
    finally:
        if session:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK])


def _drop_leftovers(cursor, schemas: list[str], stage: str) -> None:
    """Drop the staging table and any new table a failed import left (those the worker connection committed)."""
    tables = [stage, *(f"{quoted(schema)}.{quoted(NEW_TABLE)}" for schema in schemas)]
    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(tables)}")


def _create_stage(cursor, stage: str, width: int, *, lines: bool = False) -> None:
    """The staging table: one text column per column of the file, and ``lines``: the file's line of each row.

    Unlogged rather than temporary: PostgreSQL scans temporary tables in one process only, unlogged ones in parallel.
    COPY's rows need no line column: created and filled in this transaction by one COPY, the table holds them in
    file order, so a row's line is its rank by ``ctid`` plus one (the heading), worked out only for an error.
    """
    columns = ", ".join(f"c{i} text" for i in range(1, width + 1))
    cursor.execute(f"CREATE UNLOGGED TABLE {stage} ({'line bigint, ' if lines else ''}{columns})")


def _numbered(stage: str, tolerant: bool) -> str:
    """The staging table with its rows' ``line`` (rank of the record for COPY's rows, see :func:`_diagnose`)."""
    if tolerant:
        return stage
    return f"(SELECT row_number() OVER (ORDER BY ctid) + 1 AS line, * FROM {stage}) numbered"


def _load(cursor, stage: str, source: Source, plan: Plan, report) -> tuple[list[tuple[int, str]], bool]:
    """Fill the staging table from the file. Return the rows whose number of cells is wrong, and whether the file had
    to be read by Python for that (its staged rows then carry their line, see :func:`_create_stage`)."""
    try:
        try:
            _copy_file(cursor, stage, source, plan, report, freeze=True)
        except (psycopg.errors.InvalidTransactionState, psycopg.errors.ObjectNotInPrerequisiteState):
            # FREEZE refused (a cursor left open earlier in the transaction): the rows load all the same
            _copy_file(cursor, stage, source, plan, report, freeze=False)
        return [], False
    except _BareQuote:
        logger.info("Guillemets au milieu d'une valeur : lecture ligne à ligne")
    except psycopg.errors.DataError as error:
        if error.sqlstate in ("22021", "22P05"):  # invalid byte sequence, no equivalent in UTF-8
            raise ImportFailed([(_copy_line(error), ENCODING_ERROR)]) from None
        # a row of the wrong width, a quote never closed (COPY names the end of the file, Python the line where the
        # quote opens), mixed line ends…: Python's csv reads on and names every faulty line
        logger.info("COPY refuse le fichier (%s) : lecture ligne à ligne", error.diag.message_primary)
    with transaction.atomic():
        _create_stage(cursor, stage, plan.width, lines=True)
        return _load_tolerant(cursor, stage, source, plan), True


def _copy_file(cursor, stage: str, source: Source, plan: Plan, report, *, freeze: bool) -> None:
    """Create the staging table and COPY the file's bytes into it, in a savepoint (so that another reading may start
    again from scratch; FREEZE also needs the table created within it)."""
    columns = ", ".join(f"c{i}" for i in range(1, plan.width + 1))
    options = (
        f"FORMAT csv, DELIMITER {_literal(source.delimiter)}, HEADER true, ENCODING {_literal(source.encoding)}, "
        f"FORCE_NOT_NULL ({columns}){', FREEZE true' if freeze else ''}"
    )
    with transaction.atomic():
        _create_stage(cursor, stage, plan.width)
        with (
            open(source.path, "rb") as raw,
            cursor.copy(f"COPY {stage} ({columns}) FROM STDIN ({options})") as copy,
        ):
            raw.seek(source.start)
            sent, reported, before = source.start, 0.0, b"\n"
            bare_quote = _bare_quote_pattern(source.delimiter)
            chunk = raw.read(CHUNK_BYTES)
            while chunk:
                following = raw.read(CHUNK_BYTES)
                if not following:
                    # blank lines at the end of a file are no rows (COPY would count their missing cells)
                    chunk = chunk.rstrip(b"\r\n") + source.newline
                if b'"' in chunk:
                    window = before + chunk + following[:1]
                    found = bare_quote.search(window, 1)
                    if found and found.start() < len(window) - 1:
                        raise _BareQuote
                before = chunk[-1:]
                copy.write(chunk)
                sent += len(chunk)
                if sent / source.size - reported >= PROGRESS_STEP:
                    reported = sent / source.size
                    report(LOADING_SHARE * min(reported, 1.0), "lecture")
                chunk = following


class _BareQuote(Exception):
    """A quote in the middle of an unquoted value (``SCI "LES OLIVIERS"``): COPY would take it for the start of a
    quoted value, Python's ``csv`` keeps it as a character, as spreadsheets do."""


def _bare_quote_pattern(delimiter: str) -> re.Pattern[bytes]:
    """A quote neither opening a value (after the delimiter or a line break) nor closing one (before them) nor
    doubled: a quote inside an unquoted value."""
    d = re.escape(delimiter.encode())
    return re.compile(rb"(?<![" + d + rb'\n"])"(?![' + d + rb'\r\n"])')


def _copy_line(error: psycopg.Error) -> int:
    """The line COPY names in its error's context (``COPY table, line 12, column c3: …``), 0 if none."""
    match = re.search(r",\s*\w+\s+(\d+)", error.diag.context or "")
    return int(match.group(1)) if match else 0


def _load_tolerant(cursor, stage: str, source: Source, plan: Plan) -> list[tuple[int, str]]:
    """The staging table filled by Python's ``csv`` reader, which goes on after a row of the wrong width: those rows
    are returned as errors (blank lines are skipped), the others staged with their line numbers."""
    errors: list[tuple[int, str]] = []
    width = plan.width
    columns = ", ".join(["line", *(f"c{i}" for i in range(1, width + 1))])
    cells = ", ".join(f"c{i}" for i in range(1, width + 1))
    copy_sql = f"COPY {stage} ({columns}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({cells}))"
    with open(source.path, encoding=source.codec, newline="") as text, cursor.copy(copy_sql) as copy:
        text.seek(source.start)
        # strict: a quote left open is an error, not one long value swallowing the rest of the file
        reader = csv.reader(text, delimiter=source.delimiter, strict=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        start = 1
        try:
            next(reader, None)
            start = reader.line_num + 1
            for row in reader:
                if len(row) == width:
                    writer.writerow([start, *row])
                elif any(cell.strip() for cell in row):
                    errors.append((start, f"{len(row)} valeurs pour {width} colonnes."))
                start = reader.line_num + 1
                if buffer.tell() > CHUNK_BYTES:
                    copy.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
        except UnicodeDecodeError:
            errors.append((reader.line_num + 1, ENCODING_ERROR))
        except csv.Error:
            errors.append((start, UNREADABLE))
        copy.write(buffer.getvalue())
    return errors


@dataclass
class Found:
    """What the check of the staging table found: rows per commune to write and per commune skipped, where each
    commune's rows lie in the table (first and last ``ctid``), the rows breaking a rule."""

    counts: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    spans: dict[str, tuple[str, str]] = field(default_factory=dict)
    faulty: int = 0

    @property
    def contiguous(self) -> bool:
        """Each commune's rows follow each other in the file (extracts are sorted by commune): no two communes'
        spans overlap, so the rows between a commune's first and last are all its own."""
        spans = sorted((_tid(first), _tid(last)) for first, last in self.spans.values())
        return all(last < following for (_, last), (following, _) in itertools.pairwise(spans))


def _tid(text: str) -> tuple[int, int]:
    block, offset = text.strip("()").split(",")
    return int(block), int(offset)


def _count_and_check(cursor, stage: str, plan: Plan, allowed: dict) -> Found:
    """Count the rows per commune and the rows of the communes the importer may write to that break the rules on
    codes (local id, parcel, affectation, vacancy), in one scan of the staging table (in parallel when PostgreSQL
    sees fit). Numbers, years and lengths are checked as the rows are inserted (see :func:`_replace`)."""
    found = Found()
    if not allowed:
        return found
    commune = plan.commune_sql
    mine = f"{commune} IN {_in(allowed)}"
    # without statistics on the fresh table, the planner would sort a million rows to group them by commune
    cursor.execute("SELECT current_setting('enable_sort'), set_config('enable_sort', 'off', true)")
    (sorting, _) = cursor.fetchone()
    cursor.execute(
        f"SELECT {commune}, count(*), min(ctid)::text, max(ctid)::text, "
        f"count(*) FILTER (WHERE {mine} AND NOT ({_valid_row_sql(plan, CODE_KINDS)})) "
        f"FROM {stage} GROUP BY 1"
    )
    rows = cursor.fetchall()
    cursor.execute("SELECT set_config('enable_sort', %s, true)", [sorting])
    for code, number, first, last, bad in rows:
        found.spans[code] = (first, last)
        if code in allowed:
            found.counts[code] = number
            found.faulty += bad
        else:
            found.skipped[code] = number
    return found


CODE_KINDS = frozenset({"id", "parcel", "affectation", "vacancy"})


def _valid_row_sql(plan: Plan, kinds: frozenset[str] | None = None) -> str:
    parcel_routes = plan.commune_index is None
    tests = []
    for name, _sql, kind, _aliases in COLUMNS:
        column = plan.column(name)
        if column is not None and (kinds is None or kind in kinds):
            tests.append(valid_sql(kind, column, parcel_routes=parcel_routes and name == "parcel"))
    return " AND ".join(tests)


# What the types of the commune's table do not refuse by themselves, checked on each inserted row by a constraint
# added for the import (NOT VALID: the emptied table needs no scan) and dropped after it.
RULES_CONSTRAINT = "fiscal_local_import_rules"
RULES_CHECK = (
    "category BETWEEN 1 AND 8 AND surface < 1000000000 AND rental_value >= 0 AND rental_value <> 'NaN' AND "
    + " AND ".join(
        f"{name} BETWEEN 1000 AND 2100"
        for name in ("year_built", "year_renovated", "vacant_since", "exoneration_start", "exoneration_end")
    )
)


NEW_TABLE = "fiscal_local_new"  # each commune's table as it is built, beside the one it replaces
PARALLEL_FROM = 20_000  # rows from which an import of several communes builds their tables on two connections
IMPORT_LOCK = 0x66697363616C  # advisory lock key: one cadastral import at a time on the instance


@dataclass
class _Build:
    """The statements that build one commune's new table (``fill``: table and rows; ``index``: its primary key and
    indexes, under temporary names) and those that put it in the place of the old one (``swap``)."""

    insee: str
    rows: int
    fill: list[tuple[str, list | None]]
    index: list[str]
    swap: list[str]


def _builds(cursor, stage: str, plan: Plan, allowed: dict, found: Found, *, plain_money: bool) -> list[_Build]:
    """How each commune's table is built anew from the staging table, read from the catalogue: the same columns,
    defaults and checks (``LIKE … INCLUDING ALL EXCLUDING INDEXES``), owner and grants, then the same primary key and
    indexes, renamed to the old ones' names at the swap."""
    table = Local._meta.db_table
    names = ", ".join(FIELD_NAMES)
    expressions = ", ".join(
        convert_sql(kind, plan.column(name), plain_money=plain_money) for name, _sql, kind, _aliases in COLUMNS
    )
    schemas = {insee: allowed[insee].schema_name for insee in found.counts}
    cursor.execute(
        "SELECT n.nspname, i.relname, pg_get_indexdef(i.oid), con.conname, pg_get_constraintdef(con.oid) "
        "FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace JOIN pg_index x ON x.indrelid = t.oid "
        "JOIN pg_class i ON i.oid = x.indexrelid "
        "LEFT JOIN pg_constraint con ON con.conindid = i.oid AND con.conrelid = t.oid "
        "WHERE t.relname = %s AND n.nspname = ANY(%s) ORDER BY 1, 2",
        [table, list(schemas.values())],
    )
    indexes: dict[str, list] = {}
    for schema, *index in cursor.fetchall():
        indexes.setdefault(schema, []).append(index)
    cursor.execute(
        "SELECT n.nspname, t.relowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user), "
        "quote_ident(pg_get_userbyid(t.relowner)), ARRAY(SELECT a.privilege_type || ' TO ' || CASE WHEN a.grantee = 0 "
        "THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END FROM aclexplode(t.relacl) a "
        "WHERE a.grantee <> t.relowner) FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE t.relname = %s AND n.nspname = ANY(%s)",
        [table, list(schemas.values())],
    )
    owners = {schema: (other, owner, grants) for schema, other, owner, grants in cursor.fetchall()}
    builds = []
    for insee in sorted(found.counts):
        schema = quoted(schemas[insee])
        old, new = f"{schema}.{quoted(table)}", f"{schema}.{quoted(NEW_TABLE)}"
        fill: list[tuple[str, list | None]] = [
            (f"DROP TABLE IF EXISTS {new}", None),
            (f"CREATE TABLE {new} (LIKE {old} INCLUDING ALL EXCLUDING INDEXES)", None),
        ]
        other, owner, grants = owners[schemas[insee]]
        if other:
            fill.append((f"ALTER TABLE {new} OWNER TO {owner}", None))
        fill += [(f"GRANT {grant.split(' TO ')[0]} ON {new} TO {grant.split(' TO ')[1]}", None) for grant in grants]
        if len(found.counts) == 1 and not found.skipped:  # every staged row is to be written, to this table
            where, params = "", None
        elif found.contiguous:  # a run of rows, read by their place in the table: no index to build
            where, params = " WHERE ctid BETWEEN %s::tid AND %s::tid", list(found.spans[insee])
        else:
            where, params = f" WHERE {plan.commune_sql} = %s", [insee]
        fill += [
            (f"ALTER TABLE {new} ADD CONSTRAINT {RULES_CONSTRAINT} CHECK ({RULES_CHECK})", None),
            (f"INSERT INTO {new} ({names}) SELECT {expressions} FROM {stage}{where}", params),
            (f"ALTER TABLE {new} DROP CONSTRAINT {RULES_CONSTRAINT}", None),
        ]
        index, swap = [], [f"DROP TABLE {old}", f"ALTER TABLE {new} RENAME TO {quoted(table)}"]
        for number, (name, definition, constraint, constraint_definition) in enumerate(indexes.get(schemas[insee], [])):
            temporary = quoted(f"{NEW_TABLE}_{number}")
            if constraint:  # the primary key: its index is renamed with it
                index.append(f"ALTER TABLE {new} ADD CONSTRAINT {temporary} {constraint_definition}")
                swap.append(f"ALTER TABLE {old} RENAME CONSTRAINT {temporary} TO {quoted(constraint)}")
            else:
                unique, rest = re.fullmatch(
                    r"CREATE (UNIQUE )?INDEX \S+ ON (?:ONLY )?\S+ (USING .*)", definition
                ).groups()
                index.append(f"CREATE {unique or ''}INDEX {temporary} ON {new} {rest}")
                swap.append(f"ALTER INDEX {schema}.{temporary} RENAME TO {quoted(name)}")
        builds.append(_Build(insee, found.counts[insee], fill, index, swap))
    return builds


def _run_builds(execute, pending: collections.deque, *, done: list[int], failed: threading.Event, report=None) -> float:
    """Take the next build from ``pending`` and run it with ``execute(sql, params)``, until none is left or the other
    connection ``failed``; ``done[0]`` counts the rows written. Return the seconds spent building indexes."""
    indexing = 0.0
    while not failed.is_set():
        try:
            build = pending.popleft()  # atomic: each build goes to one connection
        except IndexError:
            break
        for sql, params in build.fill:
            execute(sql, params)
        if report:
            report("index")
        started = time.perf_counter()
        for sql in build.index:
            execute(sql, None)
        indexing += time.perf_counter() - started
        done[0] += build.rows
        if report:
            report("enregistrement")
    return indexing


def _replace(
    cursor,
    stage: str,
    plan: Plan,
    allowed: dict,
    found: Found,
    *,
    plain_money: bool,
    report,
    result: LocalsResult,
    worker: psycopg.Connection | None,
) -> None:
    """Build each commune's table anew from its staged rows, then put the new tables in the place of the old ones.

    The conversions' casts refuse what is not a number, the lengths of the columns what is too long, a constraint
    added for the insert the numbers out of range, the primary key's build a local id twice: any of them fails the
    statement. With a ``worker`` connection, both take the tables one at a time, the largest first; the worker's are
    committed under :data:`NEW_TABLE`, this connection's stay in its transaction; the swap then happens here,
    so readers see every old table until this transaction commits. The caller drops the worker's tables on failure.
    """
    builds = _builds(cursor, stage, plan, allowed, found, plain_money=plain_money)
    whole = len(found.counts) == 1 and not found.skipped  # every staged row goes to one table
    total = sum(b.rows for b in builds)
    done, worker_done = [0], [0]

    def progress(phase: str) -> None:
        share = (done[0] + worker_done[0]) / total
        report(LOADING_SHARE + CHECKING_SHARE + (1 - LOADING_SHARE - CHECKING_SHARE) * share, phase)

    # the largest tables first, each to whichever connection is free: the two finish together
    pending = collections.deque(sorted(builds, key=lambda b: -b.rows))
    outcome: dict = {}
    failed = threading.Event()
    thread = None
    if worker is not None:
        thread = threading.Thread(target=_work, args=(worker, pending, worker_done, failed, outcome), daemon=True)
        thread.start()
    if not whole:
        # without statistics on the fresh staging table, the planner would read all of it for each commune
        cursor.execute("SELECT current_setting('enable_seqscan'), set_config('enable_seqscan', 'off', true)")
        (scanning, _) = cursor.fetchone()
    try:
        result.seconds_indexing += _run_builds(cursor.execute, pending, done=done, failed=failed, report=progress)
    except BaseException:
        failed.set()
        raise
    finally:
        if thread is not None:
            while thread.is_alive():
                thread.join(0.5)
                progress("enregistrement")
    if "error" in outcome:
        with connection.wrap_database_errors:  # as Django's own errors: a DataError, an IntegrityError…
            raise outcome["error"]
    result.seconds_indexing += outcome.get("indexing", 0.0)
    if not whole:
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [scanning])
    # one round trip for the whole swap: the old tables are locked for as short a time as can be
    cursor.execute(";\n".join(sql for build in builds for sql in build.swap))
    progress("enregistrement")


def _work(
    worker: psycopg.Connection, pending: collections.deque, done: list[int], failed: threading.Event, outcome: dict
) -> None:
    """The worker connection's share of :func:`_replace`, in a transaction of its own, committed."""
    try:
        with worker.transaction(), worker.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            outcome["indexing"] = _run_builds(cursor.execute, pending, done=done, failed=failed)
            if failed.is_set():
                raise _Stopped
    except _Stopped:
        pass
    except Exception as error:  # raised again in the main thread
        failed.set()
        outcome["error"] = error


class _Stopped(Exception):
    """The main connection failed: the worker's transaction is rolled back."""


def _diagnose(
    cursor, stage: str, plan: Plan, allowed: dict, found: list[tuple[int, str]], *, tolerant: bool
) -> list[tuple[int, str]]:
    """Every fault of the staged rows of ``allowed`` communes, with ``found`` (errors met while loading), in French,
    by line, at most :data:`MAX_ERRORS` then a last line saying the checks stopped.

    ``tolerant``: the rows were staged by Python with their lines; else by COPY, whose rows are numbered by their
    rank (records, not lines: a quoted cell over several lines shifts the following ones, which is corrected here).
    """
    errors = list(found)
    if allowed:
        numbered = _numbered(stage, tolerant)
        renumber = int if tolerant else _physical_lines(cursor, numbered, plan)
        errors += _faulty_values(cursor, numbered, plan, allowed, renumber)
        errors += _duplicates(cursor, numbered, plan, allowed, renumber)
    errors.sort(key=lambda error: error[0])
    if len(errors) > MAX_ERRORS:
        errors = [*errors[:MAX_ERRORS], (0, f"La vérification s'est arrêtée après {MAX_ERRORS} erreurs.")]
    return errors


def _faulty_values(cursor, numbered: str, plan: Plan, allowed: dict, renumber) -> list[tuple[int, str]]:
    fields = [(kind, plan.column(name)) for name, _sql, kind, _aliases in COLUMNS if plan.column(name)]
    cursor.execute(
        f"SELECT line, {', '.join(column for _kind, column in fields)} FROM {numbered} "
        f"WHERE {plan.commune_sql} IN {_in(allowed)} AND NOT ({_valid_row_sql(plan)}) ORDER BY line LIMIT %s",
        [MAX_ERRORS + 1],
    )
    errors = []
    for line, *values in cursor.fetchall():
        before = len(errors)
        for (kind, _column), value in zip(fields, values, strict=True):
            try:
                CHECKS[kind](value)
            except ValueError as error:
                errors.append((renumber(line), str(error)))
        if len(errors) == before:  # the SQL and Python rules disagree: still a fault, said plainly
            errors.append((renumber(line), "valeurs illisibles."))
    return errors


def _duplicates(cursor, numbered: str, plan: Plan, allowed: dict, renumber) -> list[tuple[int, str]]:
    local_id, commune = plan.column("local_id"), plan.commune_sql
    cursor.execute(
        f"SELECT line, local_id, first FROM (SELECT line, {local_id} AS local_id, "
        f"min(line) OVER (PARTITION BY {commune}, {local_id}) AS first FROM {numbered} "
        f"WHERE {commune} IN {_in(allowed)}) d WHERE line > first ORDER BY line LIMIT %s",
        [MAX_ERRORS + 1],
    )
    return [
        (renumber(line), f"identifiant du local « {local_id} » en double (déjà ligne {renumber(first)}).")
        for line, local_id, first in cursor.fetchall()
    ]


def _physical_lines(cursor, numbered: str, plan: Plan) -> Callable[[int], int]:
    """Record number → line of the file where the record starts: each staged record is moved down by the line
    breaks inside the quoted cells of the records before it."""
    cells = " || ".join(f"c{i}" for i in range(1, plan.width + 1))
    cursor.execute(
        f"SELECT line, length({cells}) - length(replace({cells}, E'\\n', '')) FROM {numbered} "
        f"WHERE strpos({cells}, E'\\n') > 0 ORDER BY line"
    )
    breaks = cursor.fetchall()

    def physical(line: int) -> int:
        return line + sum(n for record, n in breaks if record < line)

    return physical
