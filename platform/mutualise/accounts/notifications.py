"""Whether a person wants the e-mails of a service: what any code that sends notices should ask first.

Preferences are rows of ``NotificationPreference``; no row means yes.
"""

from __future__ import annotations

from collections.abc import Iterable

from mutualise.accounts.models import NotificationPreference

PLATFORM = ""  # the platform's own notices, as opposed to a service's


def preferences_of(user) -> dict[str, bool]:
    """``{service slug or "": wants e-mails}`` for the sources the person has set (one query)."""
    return dict(NotificationPreference.objects.filter(user=user).values_list("service", "email"))


def wants_email(user, service: str = PLATFORM) -> bool:
    """Whether ``user`` (active) accepts e-mails from ``service`` (``""``: the platform)."""
    if user is None or not user.is_active:
        return False
    muted = NotificationPreference.objects.filter(user=user, service=service, email=False).exists()
    return not muted


def email_recipients(users: Iterable, service: str = PLATFORM) -> list:
    """Those of ``users`` who are active and accept e-mails from ``service`` (one query, whatever their number)."""
    users = [user for user in users if user.is_active]
    muted = set(
        NotificationPreference.objects.filter(
            user__in=[user.pk for user in users], service=service, email=False
        ).values_list("user_id", flat=True)
    )
    return [user for user in users if user.pk not in muted]


def save_preferences(user, choices: dict[str, bool]) -> None:
    """Record ``{service slug or "": wants e-mails}`` for ``user``."""
    for service, email in choices.items():
        NotificationPreference.objects.update_or_create(user=user, service=service, defaults={"email": email})
