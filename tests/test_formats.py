"""French figures in pages: amounts with grouped thousands, a decimal comma and a euro sign that stays attached."""

from decimal import Decimal

from django.template import Context, Template
from django.utils import translation


def render(source: str, **context) -> str:
    with translation.override("fr"):
        return Template("{% load mutualise %}" + source).render(Context(context))


def test_euros():
    assert render("{{ v|euros }}", v=Decimal("1250000.5")) == "1\u00a0250\u00a0000,50\u00a0€"
    assert render("{{ v|euros:0 }}", v=Decimal("98765")) == "98\u00a0765\u00a0€"
    assert render("{{ v|euros }}", v=None) == ""
    assert render("{{ v|euros }}", v="pas un nombre") == ""


def test_percent():
    assert render("{{ v|percent }}", v=Decimal("47.85")) == "47,85\u00a0%"
