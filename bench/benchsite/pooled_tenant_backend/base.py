"""A sketch, for the bench only: django-tenants' backend remembering the search path of each pooled connection.

With psycopg's pool, Django hands the connection back at the end of every request, and django-tenants' ``close()``
forgets which search path it set; the next request's first statement is therefore preceded by a ``SET search_path``
even when the pooled connection it gets is already on that path. This backend remembers the path on the psycopg
connection itself (which the pool reuses) and skips the ``SET`` when it is the one wanted.

Only a ``SET`` that ran outside any transaction is remembered (a rollback cannot revert it), and a rollback forgets
the connection's path. Not safe as it is for the product: code that changes the search path behind Django's back
(a raw ``SET search_path``, a function that sets it and fails before restoring it) would make it stale. It is here
to measure what the extra statement costs (``bench/tenancy_overhead.py``, variant ``ours_poolfix``).
"""

import weakref

from django_tenants.postgresql_backend.base import DatabaseWrapper as TenantDatabaseWrapper
from psycopg.pq import TransactionStatus

_paths: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # psycopg connection → search path set on it


class DatabaseWrapper(TenantDatabaseWrapper):
    def _handle_search_path(self, cursor=None):
        raw = self.connection
        if not self._setting_search_path and self.search_path_set_schemas is None and raw is not None:
            wanted = self._get_cursor_search_paths()
            if _paths.get(raw) == wanted:
                self.search_path_set_schemas = wanted
                return
        super()._handle_search_path(cursor)
        if raw is not None:
            if self.search_path_set_schemas and raw.info.transaction_status == TransactionStatus.IDLE:
                _paths[raw] = list(self.search_path_set_schemas)
            else:
                _paths.pop(raw, None)

    def rollback(self):
        if self.connection is not None:
            _paths.pop(self.connection, None)
        super().rollback()

    def savepoint_rollback(self, sid):
        if self.connection is not None:
            _paths.pop(self.connection, None)
        super().savepoint_rollback(sid)
