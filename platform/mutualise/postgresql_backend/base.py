"""django-tenants' PostgreSQL backend, knowing the search path of each physical connection.

django-tenants sets a commune's schema with one ``SET search_path`` on the connection's first cursor, then only when
the schema changes (``TENANT_LIMIT_SET_CALLS``). With persistent connections that is once per thread and commune;
with psycopg's pool (``MUTUALISE_DB_POOL``) Django hands the connection back after every request and forgets the path,
so every request paid one more round trip, even when the pooled connection it got was already on the right path.

This backend remembers, on the psycopg connection itself (the object the pool hands out again), the search path that
is known to be in force on it, and skips the ``SET`` when it is the one wanted. What is remembered is only ever a path
that PostgreSQL has made durable for the session, so that a wrong schema is never trusted:

- a ``SET`` is remembered only if it ran outside any transaction (in autocommit, it is committed at once); one run
  inside a transaction is remembered when the connection goes back to the pool idle, that is, committed (a rollback,
  even to a savepoint, makes django-tenants forget the path, and this backend with it);
- a connection that goes back to the pool in a transaction, aborted or broken, forgets its path: the pool rolls it
  back or discards it;
- a statement sent through Django that may change the path behind django-tenants' back (one naming
  ``search_path``, as ``set_config('search_path', …)``, and any ``SET``, ``RESET``, ``DISCARD`` or ``ROLLBACK``)
  makes the connection forget it, and the next cursor sets the commune's path again (with persistent connections
  too);
- a pool configured with a ``reset`` function (which may change the session) disables the memory.

Code that changes the search path on the psycopg connection directly, without going through Django's cursors, must
put it back before it returns the connection, as it must already with persistent connections.
"""

from __future__ import annotations

import re
import weakref

from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from django_tenants.utils import get_limit_set_calls
from psycopg.pq import TransactionStatus

IDLE = TransactionStatus.IDLE.value  # compared with libpq's integer (pgconn), not through connection.info

# psycopg connection → the search path in force on it, as a list of schemas. Weak: a connection the pool discards
# takes its entry with it.
_paths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

# (schema, include_public_schema) → the validated search path django-tenants would compute for it. Schema names come
# from the communes, not from requests, but the memory is bounded all the same.
_search_paths: dict[tuple[str, bool], tuple[str, ...]] = {}
_MAX_SEARCH_PATHS = 4096

# Statements that may leave the session on another search path than the one django-tenants set: any naming the
# search path, and any SET, RESET, DISCARD or ROLLBACK. A cheap test (one call), run on every statement; a false alarm
# only costs one more SET.
_CHANGING = re.compile(r"\s*(?:SET|RES|DIS|ROL)|.*search_path", re.IGNORECASE | re.DOTALL).match


def _may_change_path(sql) -> bool:
    return sql.__class__ is not str or _CHANGING(sql) is not None


def remembered_search_path(raw_connection) -> list[str] | None:
    """The search path this backend knows to be in force on a psycopg connection, or ``None``."""
    return _paths.get(raw_connection)


class _Watch:
    """Forget the connection's search path after a statement that may have changed it."""

    def _execute(self, sql, params, *ignored_wrapper_args):
        try:
            return super()._execute(sql, params, *ignored_wrapper_args)
        finally:
            if sql.__class__ is not str or _CHANGING(sql) is not None:  # _may_change_path(), inline: every statement
                self.db.forget_search_path()

    def _executemany(self, sql, param_list, *ignored_wrapper_args):
        try:
            return super()._executemany(sql, param_list, *ignored_wrapper_args)
        finally:
            if _may_change_path(sql):
                self.db.forget_search_path()


class _Cursor(_Watch, CursorWrapper):
    pass


class _DebugCursor(_Watch, CursorDebugWrapper):
    pass


class DatabaseWrapper(TenantDatabaseWrapper):
    """django-tenants' backend, skipping the ``SET search_path`` a pooled connection does not need."""

    def make_cursor(self, cursor):
        return _Cursor(cursor, self)

    def make_debug_cursor(self, cursor):
        return _DebugCursor(cursor, self)

    def forget_search_path(self) -> None:
        """The session's search path is no longer known: the next cursor sets it again."""
        self.search_path_set_schemas = None
        if self.connection is not None:
            _paths.pop(self.connection, None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._limit_set_calls = get_limit_set_calls()
        # A pool's reset function may change the session: nothing is remembered then. Read once: a connection's
        # settings do not change.
        pool = self.settings_dict["OPTIONS"].get("pool")
        self._remembers = not (isinstance(pool, dict) and pool.get("reset"))

    def _get_cursor_search_paths(self):
        # django-tenants builds and validates (two regular expressions) the same list on every pooled request.
        key = (self.schema_name, self.include_public_schema)
        paths = _search_paths.get(key)
        if paths is None:
            if len(_search_paths) >= _MAX_SEARCH_PATHS:
                _search_paths.clear()
            paths = _search_paths[key] = tuple(super()._get_cursor_search_paths())
        return list(paths)

    def _handle_search_path(self, cursor=None):
        if self.search_path_set_schemas is not None:
            if self._limit_set_calls and not self._setting_search_path:
                return None  # set already, and set only when it changes: what django-tenants would decide, sooner
            return super()._handle_search_path(cursor)
        if self._setting_search_path or self.connection is None:
            return super()._handle_search_path(cursor)
        raw, remembers = self.connection, self._remembers
        if (
            remembers
            and raw.pgconn.transaction_status == IDLE
            and _paths.get(raw) == (wanted := self._get_cursor_search_paths())
        ):
            self.search_path_set_schemas = wanted  # the pooled connection is on this path already
            return None
        _paths.pop(raw, None)  # about to change, or to fail
        super()._handle_search_path(cursor)
        if (
            remembers
            and self.search_path_set_schemas is not None
            and raw.pgconn.transaction_status == IDLE  # committed: outside any transaction
        ):
            _paths[raw] = list(self.search_path_set_schemas)
        return None

    def rollback(self):
        if self.connection is not None:
            _paths.pop(self.connection, None)
        super().rollback()

    def savepoint_rollback(self, sid):
        try:
            super().savepoint_rollback(sid)
        finally:
            if self.connection is not None:
                _paths.pop(self.connection, None)

    def close(self):
        raw = self.connection
        if raw is not None:
            # Back to the pool (or closed): keep the path only if it is in force for good, the session idle. Read
            # before django-tenants' close(), which forgets the wrapper's path.
            try:
                idle = not raw.closed and raw.pgconn.transaction_status == IDLE
            except Exception:  # a broken connection: nothing to keep
                idle = False
            if not idle or not self._remembers:
                _paths.pop(raw, None)
            elif self.search_path_set_schemas is not None:
                _paths[raw] = list(self.search_path_set_schemas)
            # Otherwise no cursor was opened since the path was last known, or it was forgotten then: as it is.
        super().close()
