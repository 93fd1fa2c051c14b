"""Reading the tables people bring: CSV from Excel or from other software, all-or-nothing, errors per line.

Tolerant of what French files look like: UTF-8 with or without BOM (or Windows-1252), ``;`` or ``,``, decimal
commas, dates JJ/MM/AAAA or AAAA-MM-JJ. Strict about the rest: a value that does not parse is an error on its line,
and a file with any error imports nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

MAX_BYTES = 20 * 1024 * 1024


class ImportFailed(Exception):
    """The file cannot be imported; ``errors`` lists ``(line, message)`` in French (line 0: the file itself)."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__("; ".join(f"ligne {line} : {message}" if line else message for line, message in errors))
        self.errors = errors


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line number in the file, cells)


def normalise_heading(text: str) -> str:
    """A heading compared loosely: lower case, single spaces, no surrounding quotes or spaces."""
    return re.sub(r"\s+", " ", text.strip().strip('"').lower())


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise ImportFailed([(0, "Fichier trop volumineux (20 Mo au plus).")])
    if b"\x00" in data:
        raise ImportFailed([(0, "Ce fichier n'est pas un fichier texte CSV (octets nuls).")])
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFailed([(0, "Encodage du fichier non reconnu : enregistrez-le en CSV UTF-8.")])


UNREADABLE = "ligne illisible : guillemets mal placés ou fichier tronqué (un guillemet ouvert n'est jamais refermé)."


def read_csv(data: bytes) -> Table:
    """The header (normalised) and the non-empty rows, each with its line number."""
    text = decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    # strict: a quote left open (a truncated file) is an error, not one long cell swallowing the following lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [normalise_heading(h) for h in next(reader)]
    except StopIteration:
        raise ImportFailed([(0, "Le fichier est vide.")]) from None
    except csv.Error:
        raise ImportFailed([(1, UNREADABLE)]) from None
    if not any(header):
        raise ImportFailed([(1, "La première ligne doit donner le nom des colonnes.")])
    table = Table(header)
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise ImportFailed([(reader.line_num, f"{len(cells)} valeurs pour {len(header)} colonnes.")])
            table.rows.append((reader.line_num, dict(zip(header, (c.strip() for c in cells), strict=False))))
    except csv.Error:
        raise ImportFailed([(reader.line_num, UNREADABLE)]) from None
    return table


def parse_date(text: str) -> datetime.date | None:
    """``26/11/2026``, ``26/11/26`` or ``2026-11-26`` (a time after the date is ignored); ``None`` if empty."""
    text = text.strip().split(" ")[0]
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d/%m/%y", "%d-%m-%Y"):
        try:
            value = datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if not 1900 <= value.year <= 2100:
            raise ValueError(f"date hors limites « {text} »")
        return value
    raise ValueError(f"date illisible « {text} » (attendu JJ/MM/AAAA)")


def parse_decimal(text: str) -> Decimal | None:
    """``1 234,50``, ``1234.5`` or ``1 234,50 €``; ``None`` if empty."""
    original = text.strip()
    text = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace("€", "").strip()
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"nombre illisible « {original} »") from None
    if not value.is_finite():
        raise ValueError(f"nombre illisible « {original} »")
    return value


def read_xlsx(data: bytes) -> Table:
    """The first sheet of a workbook as a table: the first row gives the headings."""
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise ImportFailed([(0, "Fichier trop volumineux (20 Mo au plus).")])
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on a damaged file
        raise ImportFailed([(0, "Ce fichier n'est pas un classeur Excel (XLSX) lisible.")]) from None
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    try:
        header = [normalise_heading(str(cell or "")) for cell in next(rows)]
    except StopIteration:
        raise ImportFailed([(0, "Le fichier est vide.")]) from None
    table = Table(header)
    for number, cells in enumerate(rows, start=2):
        texts = ["" if cell is None else str(cell).strip() for cell in cells]
        if any(texts):
            table.rows.append((number, dict(zip(header, texts, strict=False))))
    return table


def read_table(data: bytes, filename: str) -> Table:
    """CSV or XLSX, told apart by the file's content (an XLSX is a zip archive)."""
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)
