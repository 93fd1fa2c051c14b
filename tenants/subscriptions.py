"""Enabling and disabling a service for a commune: dated, kept as history, audited, announced to the plugin."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutualise import audit
from mutualise.plugins import get_registry
from tenants.models import Commune, Subscription


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
