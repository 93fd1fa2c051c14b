"""Service levels in force: each service's targets per priority (dated data) and the intercommunality's calendar.

Both are read from memory. Each process keeps the table of service levels and the calendar together with the
version number of the ``ServiceCalendar`` row; it compares that number with the database's at most every
``MUTUALISE_TENANT_CACHE_CHECK_SECONDS`` (the delay of the communes directory) — one tiny query — and reloads
when it moved. Every change bumps the version in its own transaction, and the process that made it reloads at once.
A page or a task handling many demandes thus costs no query for their targets.
"""

from __future__ import annotations

import datetime
import re
import threading
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualise.demandes.rules import DAY, DEFAULT_TARGETS, Priority, Target
from mutualise.demandes.sla import DEFAULT_HOURS, BusinessCalendar, Period, holiday_subdivision

# (service, priority) → [(valid_from, target)], the latest date first.
Table = dict[tuple[str, int], list[tuple[datetime.date, Target]]]


@dataclass
class _Memo:
    version: int | None = None
    loaded: bool = False
    checked_at: float = 0.0
    levels: Table = field(default_factory=dict)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)


_memo = _Memo()
_lock = threading.Lock()


def _on_public():
    from django_tenants.utils import schema_context

    # The public schema is on every commune's search path, except where a caller left it out on purpose.
    on_public = connection.schema_name == settings.PUBLIC_SCHEMA_NAME or connection.include_public_schema
    return nullcontext() if on_public else schema_context(settings.PUBLIC_SCHEMA_NAME)


def parse_hours(opening_hours: dict) -> dict[int, tuple[Period, ...]]:
    """Opening hours as stored (``{"0": [["08:30", "12:00"], …]}``) → periods per weekday, checked.

    Raises ``ValidationError`` (in French) for a malformed time, a period that ends before it starts or periods
    that overlap.
    """
    hours: dict[int, tuple[Period, ...]] = {}
    for day, periods in (opening_hours or {}).items():
        weekday = int(day) if str(day).isdigit() else -1
        if not 0 <= weekday <= 6:
            raise ValidationError(_("Jour de la semaine inconnu : %(day)s.") % {"day": day})
        parsed = []
        for start, end in periods:
            try:
                begin, stop = datetime.time.fromisoformat(start), datetime.time.fromisoformat(end)
            except (TypeError, ValueError) as error:
                message = _("Heures non comprises : « %(start)s–%(end)s ». Écrivez par exemple 08:30-12:00.")
                raise ValidationError(message % {"start": start, "end": end}) from error
            if stop <= begin:
                raise ValidationError(
                    _("Une période doit finir après son début (%(start)s–%(end)s).") % {"start": start, "end": end}
                )
            parsed.append((begin, stop))
        parsed.sort()
        for (_start, previous_end), (next_start, _end) in zip(parsed, parsed[1:], strict=False):
            if next_start < previous_end:
                raise ValidationError(_("Deux périodes du même jour se chevauchent."))
        if parsed:
            hours[weekday] = tuple(parsed)
    if not hours:
        raise ValidationError(_("Indiquez au moins une période d'ouverture dans la semaine."))
    return hours


def _main_departement() -> str:
    from tenants.models import Commune

    row = Commune.objects.values("departement").annotate(n=Count("id")).order_by("-n", "departement").first()
    return row["departement"] if row else ""


def _load(version: int) -> None:
    from mutualise.models import ServiceCalendar, ServiceLevel

    with _on_public():
        levels: Table = {}
        rows = ServiceLevel.objects.order_by("service", "priority", "-valid_from").values_list(
            "service", "priority", "valid_from", "take_charge_minutes", "resolve_minutes"
        )
        for service, priority, valid_from, take_charge, resolve in rows:
            levels.setdefault((service, priority), []).append((valid_from, Target(take_charge, resolve)))
        row = ServiceCalendar.objects.filter(pk=1).first()
        if row is None:
            calendar = BusinessCalendar(subdivision=holiday_subdivision(_main_departement()))
        else:
            try:
                hours = parse_hours(row.opening_hours)
            except ValidationError:
                hours = dict(DEFAULT_HOURS)  # a hand-edited row never stops the demandes
            calendar = BusinessCalendar(
                hours=hours,
                timezone=row.timezone,
                subdivision=holiday_subdivision(row.departement or _main_departement()),
            )
    _memo.levels, _memo.calendar, _memo.version, _memo.loaded = levels, calendar, version, True


def _current_version() -> int:
    from mutualise.models import ServiceCalendar

    with _on_public():
        return ServiceCalendar.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _refresh() -> _Memo:
    now = time.monotonic()
    if not _memo.loaded or now - _memo.checked_at >= settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS:
        with _lock:
            version = _current_version()
            if not _memo.loaded or version != _memo.version:
                _load(version)
            _memo.checked_at = now
    return _memo


def reset() -> None:
    """Forget this process's copy (the next read reloads it)."""
    _memo.loaded = False


def changed() -> None:
    """Record a change to the service levels or the calendar: in the database, within the current transaction."""
    from mutualise.models import ServiceCalendar

    with _on_public():
        ServiceCalendar.objects.get_or_create(pk=1)
        ServiceCalendar.objects.filter(pk=1).update(version=F("version") + 1)
    reset()
    transaction.on_commit(reset)


def target_for(service: str, priority: int, on: datetime.date | None = None) -> Target:
    """The target in force for ``service`` and ``priority`` on ``on`` (today by default).

    The row with the latest ``valid_from`` on or before that day; the product's defaults when there is none.
    """
    on = on or timezone.localdate()
    for valid_from, target in _refresh().levels.get((service, int(priority)), ()):
        if valid_from <= on:
            return target
    return DEFAULT_TARGETS[priority]


def targets_for(service: str, on: datetime.date | None = None) -> dict[int, Target]:
    """The targets of every priority in force for ``service`` on ``on``."""
    return {level: target_for(service, level, on) for level in Priority.values}


def calendar() -> BusinessCalendar:
    """The intercommunality's business calendar: opening hours, time zone and the public holidays that apply."""
    return _refresh().calendar


def schedule(service: str) -> list[tuple[datetime.date, dict[int, Target]]]:
    """The dates on which ``service``'s targets change, with the targets in force from each, the latest first."""
    dates = sorted({d for (slug, _p), rows in _refresh().levels.items() if slug == service for d, _t in rows})
    return [(day, targets_for(service, day)) for day in reversed(dates)]


@transaction.atomic
def set_targets(
    service: str, valid_from: datetime.date, targets: dict[int, Target], *, actor, reason: str = ""
) -> None:
    """Put ``targets`` (every priority) in force for ``service`` from ``valid_from``; audited.

    Demandes already opened keep the targets they were opened with. A date already in the table is corrected.
    Raises ``ValidationError`` in French for a date in the past, a missing priority, a target that is not positive
    or a resolution shorter than the taking in charge.
    """
    from mutualise import audit
    from mutualise.models import ServiceLevel

    if valid_from < timezone.localdate():
        raise ValidationError(_("La date d'effet ne peut pas être passée : les délais passés restent ceux appliqués."))
    missing = [f"P{level}" for level in Priority.values if level not in targets]
    if missing:
        raise ValidationError(_("Délais manquants pour %(levels)s.") % {"levels": ", ".join(missing)})
    for level, target in targets.items():
        check_target(level, target)
    before = targets_for(service, valid_from)
    with _on_public():
        for level in Priority.values:
            ServiceLevel.objects.update_or_create(
                service=service,
                priority=level,
                valid_from=valid_from,
                defaults={
                    "take_charge_minutes": targets[level].take_charge,
                    "resolve_minutes": targets[level].resolve,
                    "created_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
            )
        changed()
        audit.record(
            "niveaux_service.modifies",
            actor=actor,
            service=service,
            target=_("Niveaux de service à partir du %(date)s") % {"date": valid_from.strftime("%d/%m/%Y")},
            before=_snapshot(before),
            after=_snapshot(targets),
            reason=reason,
        )


def check_target(level: int, target: Target) -> None:
    """Raise ``ValidationError`` (in French) unless both delays are positive and resolution comes no earlier."""
    if target.take_charge <= 0 or target.resolve <= 0:
        raise ValidationError(_("P%(level)s : les délais doivent être positifs.") % {"level": level})
    if target.resolve < target.take_charge:
        raise ValidationError(
            _("P%(level)s : le délai de résolution ne peut pas être plus court que celui de prise en charge.")
            % {"level": level}
        )


def _snapshot(targets: dict[int, Target]) -> dict:
    return {
        f"P{level}": {"prise_en_charge": format_minutes(t.take_charge), "resolution": format_minutes(t.resolve)}
        for level, t in sorted(targets.items())
    }


@transaction.atomic
def set_calendar(opening_hours: dict, *, departement: str, actor, reason: str = "") -> None:
    """Change the intercommunality's opening hours (and the département for local holidays); audited.

    Demandes already opened keep their deadlines until their next pause.
    """
    from mutualise import audit
    from mutualise.models import ServiceCalendar

    parse_hours(opening_hours)
    with _on_public():
        row, _created = ServiceCalendar.objects.select_for_update().get_or_create(pk=1)
        before = {"horaires": row.opening_hours, "departement": row.departement}
        row.opening_hours, row.departement = opening_hours, departement.strip()
        row.save(update_fields=["opening_hours", "departement"])
        changed()
        audit.record(
            "calendrier.modifie",
            actor=actor,
            target=_("Horaires des services"),
            before=before,
            after={"horaires": opening_hours, "departement": row.departement},
            reason=reason,
        )


# -- Durations as people write them -------------------------------------------------------------------------------

_UNITS = {"j": DAY, "jour": DAY, "jours": DAY, "h": 60, "heure": 60, "heures": 60, "min": 1, "mn": 1, "minutes": 1}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(jours|jour|j|heures|heure|h|minutes|min|mn)(?![a-z])")


def parse_duration(text: str) -> int:
    """Business minutes from what a person types: « 4 h », « 2 j », « 1 h 30 », « 1,5 j », « 90 min ».

    A day is a working day of 7 hours. Raises ``ValidationError`` (in French) for anything else.
    """
    value = (text or "").strip().lower().replace("\u00a0", " ")
    value = re.sub(r"(\d)\s*h\s*(\d\d)$", r"\1 h \2 min", value)  # « 1 h 30 », « 1h30 »
    if not value:
        raise ValidationError(_("Indiquez un délai, par exemple « 4 h » ou « 2 j »."))
    total, position = 0.0, 0
    for match in _PART.finditer(value):
        if value[position : match.start()].strip():
            break
        total += float(match.group(1).replace(",", ".")) * _UNITS[match.group(2)]
        position = match.end()
    if position == 0 or value[position:].strip():
        raise ValidationError(
            _("Délai non compris : « %(value)s ». Écrivez par exemple « 4 h », « 2 j » ou « 90 min ».")
            % {"value": text.strip()}
        )
    minutes = round(total)
    if minutes <= 0:
        raise ValidationError(_("Le délai doit être positif."))
    if minutes > 365 * DAY:
        raise ValidationError(_("Le délai ne peut pas dépasser 365 jours ouvrés."))
    return minutes


def format_minutes(minutes: int) -> str:
    """Business minutes the way ``parse_duration`` reads them back: « 2 j », « 4 h », « 1 j 3 h 30 min »."""
    days, rest = divmod(int(minutes), DAY)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} j" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p) or "0 min"
