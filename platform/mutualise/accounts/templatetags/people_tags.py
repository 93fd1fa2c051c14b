"""Template filters of the people pages: ``{% load people_tags %}``."""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def breakable_email(email) -> str:
    """The address with line-break opportunities after ``@`` and before dots, so that it fits a phone's width."""
    return mark_safe(escape(str(email or "")).replace("@", "@<wbr>").replace(".", "<wbr>."))  # escaped first
