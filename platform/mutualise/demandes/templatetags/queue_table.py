"""The rows of the agents' queue, drawn in Python.

The queue is the console's most used page, 50 rows of seven cells. Drawn by the template engine, its cells and
conditions (some 350 nodes a page) were two thirds of the page's work; drawn here, as Django's admin draws the rows
of its change lists (``admin_list.items_for_result``), a small fraction. Every value is escaped as Django's
``escape`` does (``html.escape``, quotes included), called directly: through ``format_html`` each value cost a dozen
calls more.
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

ROW = (
    "<tr><td>{}{}</td>\n"
    "      <td>{}</td>\n"
    '      <th scope="row"><a href="{}">{}</a></th>\n'
    "      <td>{}</td>\n"
    "      <td>P{}</td><td>{}</td><td>{}</td></tr>"
)
EMPTY = '<tr><td colspan="7">{}</td></tr>'
MARK = ' <strong class="late">{}</strong>'


@register.simple_tag
def queue_table_rows(rows: list[dict]) -> SafeString:
    """The ``<tr>`` of each row made by ``mutualise.demandes.views.queue_rows``, or one saying that none matches.

    The deadline cell: the date, marked « dépassée » when it is past; without a deadline, « — », marked « délai non
    tenu » when a deadline was missed.
    """
    if not rows:
        return mark_safe(EMPTY.format(escape(gettext("Aucune demande ne correspond."))))
    late = MARK.format(escape(gettext("dépassée")))
    missed = MARK.format(escape(gettext("délai non tenu")))
    return mark_safe(
        "\n".join(
            ROW.format(
                escape(row["due"]) if row["due"] else "—",
                (late if row["late"] else "") if row["due"] else (missed if row["breached"] else ""),
                escape(row["commune"]),
                escape(row["url"]),
                escape(row["title"]),
                escape(row["service"]),
                escape(str(row["priority"])),
                escape(row["status"]),
                escape(row["assignee"]),
            )
            for row in rows
        )
    )
