"""The allocation statement of one commune for one groupement, as a PDF (reportlab: pure Python, no system library)."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.formats import number_format


def euros(value) -> str:
    """``1 234,56 €``."""
    return f"{number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)} €".replace("\u202f", " ")


def allocation_statement(groupement, line: dict, instance_name: str) -> bytes:
    """The statement for the member ``line`` of :func:`plugins.achats.services.allocation`: needs, share, savings."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    commune = line["commune"]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"Répartition — {groupement.title} — {commune.name}",
        author=instance_name,
        lang="fr-FR",
        leftMargin=2 * cm,
        rightMargin=2 * cm,
    )
    styles = getSampleStyleSheet()
    story = [
        Paragraph(f"{instance_name} — état de répartition", styles["Title"]),
        Paragraph(f"Groupement : {groupement.title}", styles["Heading2"]),
        Paragraph(f"Commune : {commune.name} (INSEE {commune.insee_code})", styles["Normal"]),
        Paragraph(f"Titulaire : {groupement.supplier or '—'}", styles["Normal"]),
        Paragraph(f"Établi le {timezone.localdate():%d/%m/%Y}", styles["Normal"]),
        Spacer(1, 0.5 * cm),
    ]
    rows = [["Article", "Unité", "Quantité", "Prix antérieur", "Prix attribué", "Montant"]]
    for need in line["needs"]:
        article = need.article
        amount = need.quantity * (article.awarded_price or 0)
        rows.append(
            [
                Paragraph(f"{article.code} — {article.label}", styles["Normal"]),
                article.unit,
                number_format(need.quantity, use_l10n=True, force_grouping=True),
                euros(article.previous_price) if article.previous_price is not None else "—",
                euros(article.awarded_price) if article.awarded_price is not None else "—",
                euros(amount),
            ]
        )
    table = Table(rows, colWidths=[6 * cm, 1.8 * cm, 2 * cm, 2.4 * cm, 2.4 * cm, 2.4 * cm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    saving = line["saving"]
    story += [
        table,
        Spacer(1, 0.5 * cm),
        Paragraph(
            f"Frais de procédure : {euros(groupement.procedure_costs)} au total, répartis "
            f"« {groupement.get_cost_key_display()} » ; part de la commune : <b>{euros(line['share'])}</b>.",
            styles["Normal"],
        ),
        Paragraph(
            f"Économie estimée : {euros(saving.amount)}"
            + (f" ({number_format(saving.percent, use_l10n=True)} %)" if saving.percent is not None else "")
            + f", soit {euros(saving.before)} aux prix antérieurs contre {euros(saving.after)} aux prix attribués.",
            styles["Normal"],
        ),
    ]
    document.build(story)
    return buffer.getvalue()
