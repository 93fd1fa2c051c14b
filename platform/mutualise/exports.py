"""Exports of tables as CSV: the French Excel flavour (``;``, UTF-8 BOM, decimal comma, JJ/MM/AAAA) or standard.

Every export is audited, and text cells that a spreadsheet would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.formats import number_format

from mutualise import audit

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Prefix with an apostrophe a text a spreadsheet would otherwise evaluate (``=HYPERLINK(…)``)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def french_cell(value) -> str:
    """A value as French Excel shows it: ``1234,5``, ``26/11/2026``, ``26/11/2026 14:05``, ``oui``/``non``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, datetime.datetime):
        return (
            timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
            if timezone.is_aware(value)
            else value.strftime("%d/%m/%Y %H:%M")
        )
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, (int, float, Decimal)):
        return number_format(value, use_l10n=True, force_grouping=False).replace("\u00a0", "")
    return neutralise(str(value))


def standard_cell(value) -> str:
    """A value for machines: ISO dates, decimal point, ``true``/``false``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return neutralise(str(value))


def render_csv(header: Sequence[str], rows: Iterable[Sequence], *, excel: bool = True) -> bytes:
    """The CSV file as bytes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if excel else ",", lineterminator="\r\n")
    cell = french_cell if excel else standard_cell
    writer.writerow([neutralise(str(h)) for h in header])
    for row in rows:
        writer.writerow([cell(value) for value in row])
    return (b"\xef\xbb\xbf" if excel else b"") + buffer.getvalue().encode("utf-8")


def csv_response(
    request: HttpRequest,
    filename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    excel: bool = True,
    service: str = "",
) -> HttpResponse:
    """A CSV download of ``rows``, recorded in the audit log with the commune of the request."""
    content = render_csv(header, rows, excel=excel)
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    audit.record(
        "export",
        commune=getattr(request, "commune", None),
        service=service,
        target=filename,
        after={"format": "csv-excel" if excel else "csv", "octets": len(content)},
    )
    return response


def render_xlsx(header: Sequence[str], rows: Iterable[Sequence], *, sheet: str = "Export") -> bytes:
    """The table as an Excel workbook: real dates and numbers, text cells never read as formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    worksheet = workbook.create_sheet(sheet[:31])
    bold = Font(bold=True)
    heading = []
    for title in header:
        cell = WriteOnlyCell(worksheet, value=neutralise(str(title)))
        cell.font = bold
        heading.append(cell)
    worksheet.append(heading)
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime.datetime) and timezone.is_aware(value):
                value = timezone.localtime(value).replace(tzinfo=None)
            cell = WriteOnlyCell(worksheet, value=neutralise(value) if isinstance(value, str) else value)
            if isinstance(value, datetime.datetime):
                cell.number_format = "DD/MM/YYYY HH:MM"
            elif isinstance(value, datetime.date):
                cell.number_format = "DD/MM/YYYY"
            cells.append(cell)
        worksheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_response(
    request: HttpRequest,
    basename: str,
    header: Sequence[str],
    rows: Iterable[Sequence],
    *,
    format: str,
    service: str = "",
) -> HttpResponse:
    """A download of the table as ``excel`` (CSV for French Excel), ``csv`` (standard) or ``xlsx``; audited."""
    if format == "xlsx":
        content = render_xlsx(header, rows)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        filename = f"{basename}.xlsx"
    else:
        content = render_csv(header, rows, excel=format != "csv")
        content_type = "text/csv; charset=utf-8"
        filename = f"{basename}.csv"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    audit.record(
        "export",
        commune=getattr(request, "commune", None),
        service=service,
        target=filename,
        after={"format": format, "octets": len(content)},
    )
    return response
