"""Sessions: stored in the database (``SESSION_ENGINE``), bound to the host they were opened on."""

from __future__ import annotations

import functools

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone

from mutualise.schemas import column_of, table_of
from tenants.resolution import normalise_host

SESSION_HOST_KEY = "mutualise_host"


def bind_session(session, host: str) -> None:
    """Record in ``session`` the host it belongs to (done at every login)."""
    session[SESSION_HOST_KEY] = normalise_host(host)


def session_matches_host(request: HttpRequest) -> bool:
    """Whether the request's session was opened on the request's host."""
    bound = request.session.get(SESSION_HOST_KEY)
    return bound is not None and bound == normalise_host(request.get_host())


@functools.cache
def _select_session(model) -> str:
    """The statement that loads a session of ``model`` (Django's ``Session``), written once from the model."""
    data, expiry, key = (column_of(model, name) for name in ("session_data", "expire_date", "session_key"))
    return f"SELECT {data}, {expiry} FROM {table_of(model)} WHERE {key} = %s AND {expiry} > %s"


class SessionStore(db.SessionStore):
    """Django's database sessions, loaded by one statement written once.

    Loading the session is the first query of every signed-in request; Django's engine builds it with the ORM each
    time, which cost four times its round trip. Saving, expiry, keys and signing are Django's.
    """

    def _get_session_from_db(self):
        if self.session_key is None:
            return None
        model = self.model
        with connections[router.db_for_read(model)].cursor() as cursor:
            cursor.execute(_select_session(model), [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's engine: an unknown or expired key is forgotten
            return None
        return model(session_key=self.session_key, session_data=row[0], expire_date=row[1])
