"""Each built-in service: a real Django app with metadata, a landing page on both sides, demo data and a bilan."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from packaging.specifiers import SpecifierSet

from mutualise import __version__
from mutualise.bilan import bilan_sections
from mutualise.plugins import get_registry
from tenants.subscriptions import enable_service

BUILT_IN = ["informatique", "juridique", "rh", "marches", "achats", "fiscal", "amenagement", "urbanisme"]


@pytest.mark.parametrize("slug", BUILT_IN)
def test_metadata_is_complete_and_french(slug):
    service = get_registry().get(slug)
    info = service.info
    assert info.slug == slug
    assert info.label and info.description.endswith(".")
    assert SpecifierSet(info.platform).contains(__version__)
    assert service.app == f"plugins.{slug}"
    config = apps.get_app_config(slug)
    assert list(config.get_models()), f"{slug} has no model"


@pytest.mark.parametrize("slug", BUILT_IN)
def test_landing_pages_on_both_sides(slug, commune, community_admin, commune_agent, client_on):
    enable_service(commune, slug, start=datetime.date(2016, 9, 1), convention_reference="CONV-2016")
    page = client_on(commune, commune_agent).get(f"/services/{slug}/")
    assert page.status_code == 200, page.content[:500]
    label = get_registry().get(slug).label
    assert label.replace("'", "&#x27;") in page.content.decode()
    console = client_on(None, community_admin).get(f"/services/{slug}/")
    assert console.status_code == 200
    assert "Gignac" in console.content.decode()


@pytest.mark.parametrize("slug", BUILT_IN)
def test_demo_data_is_idempotent_and_shows_on_the_landing_page(slug, commune, commune_agent, client_on):
    registry = get_registry()
    enable_service(commune, slug)
    models = list(apps.get_app_config(slug).get_models())
    with schema_context(commune.schema_name):
        registry.call(slug, "mutualise_demo_data", commune=commune)
        counts = [m.objects.count() for m in models]
        registry.call(slug, "mutualise_demo_data", commune=commune)
        assert [m.objects.count() for m in models] == counts
        assert sum(counts) > 0
        units = registry.call(
            slug,
            "mutualise_activity_units",
            commune=commune,
            start=datetime.date(2026, 1, 1),
            end=datetime.date(2026, 12, 31),
        )
    assert units and all(u.quantity >= 0 for u in units)
    connection.set_schema_to_public()
    page = client_on(commune, commune_agent).get(f"/services/{slug}/")
    assert "Aucun" not in page.content.decode() or sum(counts) == 0


@pytest.mark.parametrize("slug", BUILT_IN)
def test_request_types_and_bilan_section(slug, commune):
    registry = get_registry()
    types = registry.call(slug, "mutualise_request_types")
    assert types and all(t.code and t.label for t in types)
    enable_service(commune, slug, start=datetime.date(2016, 9, 1))
    sections = {b.service.slug: b.section for b in bilan_sections(timezone.localdate().year)}
    assert sections[slug].title
