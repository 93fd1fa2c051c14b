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


def test_french_labels_are_not_translated_again_by_djangos_catalogues():
    """Our labels are written in French; one that is also an English word of Django's catalogues (« Close », « active »)
    would be shown as Django's French for it (« Fermer », « actif ») unless it has a context."""
    from django.apps import apps
    from django.utils.functional import Promise

    def django_fields(model) -> set[str]:  # fields a model inherits from Django's own classes (AbstractUser…)
        return {
            field.name
            for base in model.__mro__
            if base.__module__.startswith("django.") and hasattr(base, "_meta")
            for field in base._meta.get_fields()
        }

    changed, seen = [], 0
    for model in apps.get_models():
        if not model.__module__.startswith(("mutualise.", "tenants.", "plugins.")):
            continue  # third-party apps (axes…) are in English, translated by their own catalogues
        inherited = django_fields(model)
        for field in model._meta.get_fields():
            if field.name in inherited:
                continue
            labels = [getattr(field, "verbose_name", None)] + [
                label for _, label in getattr(field, "choices", None) or []
            ]
            for label in labels:
                if isinstance(label, Promise):
                    seen += 1
                    with translation.override(None):
                        written = str(label)
                    with translation.override("fr"):
                        shown = str(label)
                    if shown != written:
                        changed.append(f"{model.__module__}.{model.__name__}.{field.name}: {written!r} → {shown!r}")
    assert seen > 200
    assert changed == []
