"""Who may do what, where: the access policy each route declares, and the one function that decides it.

Every route declares a :class:`Policy`: on its view (``@access(Policy.SPACE)`` or ``access_policy = …`` on a class),
or by where it is mounted (a service's pages and API get ``Policy.SERVICE``; the Django admin ``Policy.ADMIN``).
A route without one is refused (fail closed), and the isolation tests list it.

:func:`decide` is pure: it takes a person's rights and the place of the request, and returns an :class:`Outcome`.
The same function serves the pages (``mutualise.middleware.AccessMiddleware``) and the API
(``mutualise.api.PolicyPermission``).
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Policy(enum.StrEnum):
    PUBLIC = "public"  # anyone, signed in or not: login, password reset, health
    SPACE = "space"  # anyone with a right in this space: the commune (commune host) or the console (base domain)
    PERSONAL = "personal"  # the person's own settings (API tokens…) in this space: like SPACE, lecteurs may write
    SERVICE = "service"  # a service's pages: the commune's people and the service's agents; the console: its agents
    REFERENT = "referent"  # managing a commune's people: its référents
    ADMIN = "admin"  # community administrators only


class Outcome(enum.StrEnum):
    ALLOW = "allow"
    LOGIN = "login"  # not signed in (or the session belongs to another host): go and sign in
    FORBIDDEN = "forbidden"


@dataclass(frozen=True)
class Rights:
    """What one person holds: community administrator or not, a role per commune (by id), a role per service."""

    is_admin: bool = False
    commune_roles: dict[int, str] = field(default_factory=dict)
    service_roles: dict[str, str] = field(default_factory=dict)


@functools.cache
def _rights_sql() -> str:
    """The statement of :func:`rights_of`, written once from the membership models."""
    from mutualise.accounts.models import CommuneMembership, ServiceMembership
    from mutualise.schemas import column_of, table_of

    communes, services = table_of(CommuneMembership), table_of(ServiceMembership)
    return (
        f"SELECT {column_of(CommuneMembership, 'commune')}, NULL, {column_of(CommuneMembership, 'role')} FROM {communes} "
        f"WHERE {column_of(CommuneMembership, 'user')} = %s UNION ALL "
        f"SELECT NULL, {column_of(ServiceMembership, 'service')}, {column_of(ServiceMembership, 'role')} FROM {services} "
        f"WHERE {column_of(ServiceMembership, 'user')} = %s"
    )


def rights_of(user) -> Rights | None:
    """The rights of ``user`` (one query), or ``None`` for an anonymous or deactivated person.

    This runs on every signed-in request: building the same query with the ORM each time cost ten times its round
    trip, so the statement is written once (:func:`_rights_sql`).
    """
    from django.db import connection

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    with connection.cursor() as cursor:
        cursor.execute(_rights_sql(), [user.pk, user.pk])
        rows = cursor.fetchall()
    commune_roles = {commune_id: role for commune_id, service, role in rows if service is None}
    service_roles = {service: role for commune_id, service, role in rows if service is not None}
    return Rights(is_admin=user.is_staff, commune_roles=commune_roles, service_roles=service_roles)


def request_rights(request: HttpRequest, user=None) -> Rights | None:
    """The rights of the request's user (or of ``user``, as the API authenticated it), read once per request."""
    user = user if user is not None else getattr(request, "user", None)
    cache = request.__dict__.setdefault("_mutualise_rights", {})
    key = getattr(user, "pk", None)
    if key not in cache:
        cache[key] = rights_of(user)
    return cache[key]


def decide(
    policy: Policy,
    rights: Rights | None,
    *,
    commune=None,
    service: str | None = None,
    enabled: frozenset[str] = frozenset(),
    method: str = "GET",
) -> Outcome:
    """Whether a person with ``rights`` may make this request.

    ``commune`` is the commune of the host (``None`` on the base domain), ``service`` the service whose page or API
    is asked for, ``enabled`` the services the commune subscribes to. A commune's ``lecteur`` only reads.
    """
    if policy is Policy.PUBLIC:
        return Outcome.ALLOW
    if rights is None:
        return Outcome.LOGIN
    if commune is None:
        if rights.is_admin:
            return Outcome.ALLOW
        allowed = (policy in (Policy.SPACE, Policy.PERSONAL) and bool(rights.service_roles)) or (
            policy is Policy.SERVICE and service in rights.service_roles
        )
        return Outcome.ALLOW if allowed else Outcome.FORBIDDEN

    if service is not None and service not in enabled:
        return Outcome.FORBIDDEN  # a service the commune does not subscribe to is closed to everyone
    role = rights.commune_roles.get(commune.id)
    agent_here = {slug for slug in rights.service_roles if slug in enabled}
    if rights.is_admin:
        return Outcome.ALLOW
    if policy in (Policy.SPACE, Policy.PERSONAL):
        allowed = role is not None or bool(agent_here)
    elif policy is Policy.SERVICE:
        allowed = role is not None or service in agent_here
    elif policy is Policy.REFERENT:
        allowed = role == "referent"
    else:
        allowed = False
    writes = method not in SAFE_METHODS and policy is not Policy.PERSONAL
    if allowed and writes and role == "lecteur" and service not in agent_here:
        allowed = False
    return Outcome.ALLOW if allowed else Outcome.FORBIDDEN


def access(policy: Policy) -> Callable:
    """Declare the access policy of a view function (``@access(Policy.SPACE)``) or of an ``as_view()`` result."""

    def declare(view):
        view.access_policy = policy
        return view

    return declare


def policy_of(match) -> Policy | None:
    """The policy a resolved route declares: on its view, or by where it is mounted; ``None`` if it declares none."""
    from mutualise.plugins import get_registry

    func = match.func
    for holder in (func, getattr(func, "view_class", None), getattr(func, "cls", None)):
        policy = getattr(holder, "access_policy", None)
        if policy is not None:
            return Policy(policy)
    if any(ns in get_registry() for ns in match.namespaces):
        return Policy.SERVICE
    if "admin" in match.namespaces:
        return Policy.ADMIN
    return None
