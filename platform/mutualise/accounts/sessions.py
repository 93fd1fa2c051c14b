"""Sessions bound to the host they were opened on."""

from __future__ import annotations

from django.http import HttpRequest

from tenants.resolution import normalise_host

SESSION_HOST_KEY = "mutualise_host"


def bind_session(session, host: str) -> None:
    """Record in ``session`` the host it belongs to (done at every login)."""
    session[SESSION_HOST_KEY] = normalise_host(host)


def session_matches_host(request: HttpRequest) -> bool:
    """Whether the request's session was opened on the request's host."""
    bound = request.session.get(SESSION_HOST_KEY)
    return bound is not None and bound == normalise_host(request.get_host())
