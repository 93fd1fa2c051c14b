"""Enabling and disabling a service for a commune: dated, kept as history, audited, announced to the plugin."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutualise import audit
from mutualise.plugins import get_registry
from tenants.models import Commune, Subscription, SubscriptionRequest


def _snapshot(subscription: Subscription) -> dict:
    return {
        "service": subscription.service,
        "active": subscription.active,
        "start_date": subscription.start_date,
        "end_date": subscription.end_date,
        "convention_reference": subscription.convention_reference,
        "note": subscription.note,
    }


def _announce(hook: str, commune: Commune, subscription: Subscription) -> None:
    def call() -> None:
        get_registry().call(subscription.service, hook, commune=commune, subscription=subscription)

    transaction.on_commit(call)


def current_subscription(commune: Commune, service: str) -> Subscription | None:
    """The active subscription of ``commune`` to ``service``, if any."""
    return Subscription.objects.filter(commune=commune, service=service, active=True).first()


@transaction.atomic
def enable_service(
    commune: Commune,
    service: str,
    *,
    start: datetime.date | None = None,
    convention_reference: str = "",
    note: str = "",
    actor=None,
    reason: str = "",
) -> Subscription:
    """Subscribe ``commune`` to ``service`` from ``start`` (today by default); return the active subscription.

    Enabling an already active service changes nothing. The service's data, kept while it was disabled, is
    available again at once.
    """
    if service not in get_registry():
        raise ValidationError(f"Le service « {service} » n'est pas installé sur cette instance.")
    existing = current_subscription(commune, service)
    if existing is not None:
        return existing
    subscription = Subscription(
        commune=commune,
        service=service,
        active=True,
        start_date=start or timezone.localdate(),
        convention_reference=convention_reference,
        note=note,
    )
    subscription.full_clean()
    subscription.save()
    audit.record(
        "souscription.activee",
        actor=actor,
        commune=commune,
        service=service,
        target=str(subscription),
        after=_snapshot(subscription),
        reason=reason,
    )
    _announce("mutualise_service_enabled", commune, subscription)
    return subscription


@transaction.atomic
def disable_service(
    commune: Commune,
    service: str,
    *,
    end: datetime.date | None = None,
    actor=None,
    reason: str = "",
) -> Subscription | None:
    """End the subscription of ``commune`` to ``service`` on ``end`` (today by default). Its data is kept.

    Returns the closed subscription, or ``None`` if the service was not enabled.
    """
    subscription = (
        Subscription.objects.select_for_update().filter(commune=commune, service=service, active=True).first()
    )
    if subscription is None:
        return None
    before = _snapshot(subscription)
    subscription.active = False
    subscription.end_date = end or timezone.localdate()
    if subscription.end_date < subscription.start_date:
        raise ValidationError("La date de fin ne peut pas précéder la date de début de la souscription.")
    subscription.save(update_fields=["active", "end_date", "updated_at"])
    audit.record(
        "souscription.desactivee",
        actor=actor,
        commune=commune,
        service=service,
        target=str(subscription),
        before=before,
        after=_snapshot(subscription),
        reason=reason,
    )
    _announce("mutualise_service_disabled", commune, subscription)
    return subscription


@dataclass(frozen=True)
class Matrix:
    """Communes × services on a date: which subscription is in force in each cell, and the headline counts."""

    on: datetime.date
    communes: list[Commune]
    services: list  # mutualise.plugins.Service, in label order
    cells: dict[tuple[int, str], Subscription]

    def cell(self, commune: Commune, service: str) -> Subscription | None:
        return self.cells.get((commune.id, service))

    @property
    def engaged(self) -> int:
        """Communes subscribing to at least one service: the bilan's "N communes sur M" figure."""
        return len({commune_id for commune_id, _slug in self.cells})

    def count(self, service: str) -> int:
        return sum(1 for _commune_id, slug in self.cells if slug == service)

    def counts(self) -> list[tuple]:
        """Each service with the number of communes subscribing to it."""
        return [(s, self.count(s.slug)) for s in self.services]

    def rows(self) -> list[tuple[Commune, list[tuple]]]:
        """Each commune with, for each service, its subscription in force or ``None``."""
        return [(c, [(s, self.cell(c, s.slug)) for s in self.services]) for c in self.communes]


def subscription_matrix(on: datetime.date | None = None, communes=None) -> Matrix:
    """The subscription matrix on ``on`` (today by default), in two queries whatever the number of communes."""
    on = on or timezone.localdate()
    registry = get_registry()
    in_force = Subscription.objects.in_force(on).filter(service__in=registry.slugs)
    if communes is None:
        communes = Commune.objects.order_by("name")
    else:
        in_force = in_force.filter(commune__in=communes)
    communes = list(communes)
    cells = {(s.commune_id, s.service): s for s in in_force}
    return Matrix(on=on, communes=communes, services=list(registry), cells=cells)


@transaction.atomic
def request_service(commune: Commune, service: str, *, user, message: str = "") -> SubscriptionRequest:
    """A commune asks for ``service``; an already pending request is returned as it is."""
    if service not in get_registry():
        raise ValidationError(f"Le service « {service} » n'est pas installé sur cette instance.")
    if current_subscription(commune, service) is not None:
        raise ValidationError("La commune souscrit déjà à ce service.")
    pending = SubscriptionRequest.objects.filter(
        commune=commune, service=service, status=SubscriptionRequest.Status.PENDING
    ).first()
    if pending is not None:
        return pending
    created = SubscriptionRequest.objects.create(
        commune=commune, service=service, message=message.strip(), requested_by=user
    )
    audit.record(
        "souscription.demandee",
        actor=user,
        commune=commune,
        service=service,
        target=str(created),
        after={"message": created.message},
    )
    return created


@transaction.atomic
def decide_request(
    request: SubscriptionRequest,
    *,
    accept: bool,
    actor,
    note: str = "",
    start: datetime.date | None = None,
    convention_reference: str = "",
) -> SubscriptionRequest:
    """Accept (and enable the service from ``start``) or decline a pending request."""
    request = SubscriptionRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != SubscriptionRequest.Status.PENDING:
        raise ValidationError("Cette demande a déjà reçu une réponse.")
    if accept:
        enable_service(
            request.commune,
            request.service,
            start=start,
            convention_reference=convention_reference,
            actor=actor,
            reason=f"Demande de la commune du {request.requested_at:%d/%m/%Y}",
        )
    request.status = SubscriptionRequest.Status.ACCEPTED if accept else SubscriptionRequest.Status.DECLINED
    request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    audit.record(
        "souscription.demande_acceptee" if accept else "souscription.demande_refusee",
        actor=actor,
        commune=request.commune,
        service=request.service,
        target=str(request),
        reason=note,
    )
    return request
