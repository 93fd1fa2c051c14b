"""Server errors: a database that cannot be reached gives a French 503 (JSON under /api/), anything else a 500."""

from __future__ import annotations

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from mutualise.views import server_error


def answer(path: str, error: Exception):
    request = RequestFactory().get(path, HTTP_HOST="gignac.localhost")
    try:
        raise error
    except Exception:  # Django calls the handler while handling the exception
        return server_error(request)


@pytest.mark.parametrize("path", ["/demandes/", "/api/v1/demandes/"])
def test_the_database_unreachable_is_a_503_to_retry(path):
    response = answer(path, OperationalError("connection to server failed: Connection refused"))
    assert response.status_code == 503 and response["Retry-After"] == "15"
    body = response.content.decode()
    if path.startswith("/api/"):
        assert json.loads(body) == {
            "detail": "Service momentanément indisponible : réessayez dans quelques instants.",
            "code": "service_indisponible",
        }
    else:
        assert "Service momentanément indisponible" in body and "rien de ce que vous" in body.lower()


def test_any_other_error_is_a_500():
    assert answer("/demandes/", ValueError("bogue")).status_code == 500
    response = answer("/api/v1/demandes/", ValueError("bogue"))
    assert response.status_code == 500 and json.loads(response.content)["code"] == "erreur_serveur"
