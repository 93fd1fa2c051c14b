"""Template filters for service levels."""

from django import template

from mutualise.demandes.levels import format_minutes

register = template.Library()


@register.filter
def business_duration(minutes) -> str:
    """Business minutes as people read them: « 4 h », « 2 j », « 1 j 3 h 30 min » (a day is 7 working hours)."""
    if minutes in (None, ""):
        return "—"
    return format_minutes(int(minutes))
