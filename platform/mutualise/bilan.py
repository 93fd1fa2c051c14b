"""The annual bilan of the shared services, assembled from the sections the services contribute."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from mutualise.contract import BilanSection
from mutualise.plugins import Service, get_registry


@dataclass(frozen=True)
class ServiceBilan:
    service: Service
    communes: list
    section: BilanSection


def bilan_sections(year: int) -> list[ServiceBilan]:
    """Each service's section for ``year``, computed over the communes that subscribed to it during that year.

    A service no commune subscribed to that year has no section; a commune that did not subscribe is absent from
    the service's figures. Subscriptions are read in one query.
    """
    from tenants.models import Subscription

    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    subscribers: dict[str, dict] = {}
    for subscription in Subscription.objects.during(start, end).select_related("commune").order_by("commune__name"):
        subscribers.setdefault(subscription.service, {})[subscription.commune_id] = subscription.commune
    registry = get_registry()
    sections = []
    for service in registry:
        communes = list(subscribers.get(service.slug, {}).values())
        if not communes:
            continue
        section = registry.call(service.slug, "mutualise_bilan_section", year=year, communes=communes)
        if section is not None:
            sections.append(ServiceBilan(service, communes, section))
    return sections
