"""The view every variant of the tenancy benchmark serves: one SQL statement in the commune's schema."""

from django.db import connection
from django.http import JsonResponse

from mutualise.access import Policy, access


@access(Policy.PUBLIC)  # the product's AccessMiddleware lets it through without reading the session
def one_query(request):
    """The marker of the schema the connection is on: one ``SELECT`` on a table the bench put in each schema.

    A table of the bench's own (``bench_marker``, see ``tenancy_overhead.py``), not a service's model: the figures
    must not move, nor the bench break, when a service's models change.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM bench_marker ORDER BY id LIMIT 1")
        row = cursor.fetchone()
    return JsonResponse({"marker": row[0] if row else None})
