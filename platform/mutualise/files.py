"""Per-commune file storage, and the one view that serves those files.

A commune's files live under ``MEDIA_ROOT/<schema>/``; which folder is decided by the schema of the connection, so
a file saved while working for commune A lands in A's folder. Files are never served straight from the disk: the
view below looks only in the folder of the commune of the host, after the access check.
"""

from __future__ import annotations

import mimetypes
import os

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest

from mutualise.access import Policy, access, request_rights


class CommuneFileStorage(FileSystemStorage):
    """A file system storage whose root is the folder of the schema the connection is on."""

    @property
    def base_location(self) -> str:  # not cached: it follows the connection's schema
        return os.path.join(settings.MEDIA_ROOT, connection.schema_name)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> str:
        return settings.MEDIA_URL


def file_response(storage: FileSystemStorage, name: str, filename: str | None = None) -> FileResponse:
    """``name`` from ``storage`` as a download that no browser will render inline; 404 if it does not exist."""
    try:
        if not storage.exists(name):
            raise Http404("Fichier introuvable.")
        handle = storage.open(name, "rb")
    except (SuspiciousFileOperation, ValueError, OSError):
        raise Http404("Fichier introuvable.") from None
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=filename or os.path.basename(name), content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@access(Policy.SPACE)
def serve(request: HttpRequest, name: str) -> FileResponse:
    """Send the file ``name`` of the space of the host, as a download; 404 if that space has no such file.

    Only the commune's own people and community administrators: the intercommunality's service agents reach the
    files of their service through that service's pages, never the commune's whole folder.
    """
    rights = request_rights(request)
    commune = getattr(request, "commune", None)
    if not rights.is_admin and (commune is None or commune.id not in rights.commune_roles):
        raise Http404("Fichier introuvable.")
    return file_response(CommuneFileStorage(), name)
