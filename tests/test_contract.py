"""The plugin contract: documented hooks, refused strangers, skipped misfits, and a third-party plugin that just works."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mutualise import __version__, hookimpl, hookspecs
from mutualise.contract import ServiceInfo
from mutualise.plugins import (
    IncompatiblePluginWarning,
    PluginError,
    ServiceRegistry,
    build_registry,
    get_registry,
)

BUILT_IN = {"informatique", "juridique", "rh", "marches", "achats", "fiscal", "amenagement", "urbanisme"}


def hook_specs() -> dict[str, types.FunctionType]:
    return {name: f for name, f in vars(hookspecs).items() if name.startswith("mutualise_") and callable(f)}


def test_every_hook_is_documented():
    assert hook_specs(), "no hook specification found"
    undocumented = [name for name, spec in hook_specs().items() if len((inspect.getdoc(spec) or "").strip()) < 20]
    assert undocumented == []


def test_every_hook_spec_is_registered_with_pluggy():
    registry = get_registry()
    for name in hook_specs():
        assert getattr(registry.pm.hook, name).spec is not None, name


def test_built_in_plugins_are_found_through_entry_points():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="mutualise.plugins")}
    assert names >= BUILT_IN
    assert set(get_registry().slugs) >= BUILT_IN


def test_each_plugin_app_is_a_tenant_app():
    for service in get_registry():
        assert service.app in settings.TENANT_APPS
        assert service.app in settings.INSTALLED_APPS


def plugin_module(name: str, *, platform: str = ">=0.1", slug: str | None = None, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)

    @hookimpl
    def mutualise_service():
        return ServiceInfo(slug=slug or name, label=name.capitalize(), description="", version="1.0", platform=platform)

    module.mutualise_service = mutualise_service
    for hook_name, function in hooks.items():
        setattr(module, hook_name, hookimpl(function))
    return module


def test_unknown_hook_is_refused_with_a_message_naming_it():
    module = plugin_module("etrange", mutualise_menu_principal=lambda: [])
    with pytest.raises(PluginError) as error:
        ServiceRegistry().register(module, name="etrange")
    assert "etrange" in str(error.value) and "mutualise_menu_principal" in str(error.value)


def test_hook_with_arguments_outside_its_spec_is_refused():
    module = plugin_module("bavard", mutualise_request_types=lambda langue: [])
    with pytest.raises(PluginError, match="bavard"):
        ServiceRegistry().register(module, name="bavard")


def test_plugin_without_metadata_is_refused():
    with pytest.raises(PluginError, match="mutualise_service"):
        ServiceRegistry().register(types.ModuleType("muet"), name="muet")


def test_two_plugins_cannot_share_a_slug():
    registry = ServiceRegistry()
    registry.register(plugin_module("un", slug="double"))
    with pytest.raises(PluginError, match="double"):
        registry.register(plugin_module("deux", slug="double"))


def test_incompatible_plugin_is_skipped_with_a_warning():
    registry = ServiceRegistry(platform_version="0.1.0")
    with pytest.warns(IncompatiblePluginWarning, match="ancien.*<0.1"):
        assert registry.register(plugin_module("ancien", platform="<0.1")) is None
    assert "ancien" not in registry


def test_plugins_can_be_restricted_by_name():
    registry = build_registry(["informatique", "fiscal"])
    assert registry.slugs == ["informatique", "fiscal"] or set(registry.slugs) == {"informatique", "fiscal"}
    with pytest.raises(PluginError, match="inconnu"):
        build_registry(["informatique", "inconnu"])


def test_calls_are_attributed_to_one_plugin():
    registry = get_registry()
    for slug in registry.slugs:
        assert registry.call(slug, "mutualise_service").slug == slug


# -- Start-up, in a fresh interpreter with a plugin package installed beside the product ---------------------------


def install_fake_plugin(root: Path, name: str, plugin_source: str) -> dict[str, str]:
    package = root / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "plugin.py").write_text(textwrap.dedent(plugin_source))
    dist = root / f"{name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[mutualise.plugins]\n{name} = {name}.plugin\n")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), *sys.path]),
        "DJANGO_SETTINGS_MODULE": "mutualise.settings",
    }
    env.pop("MUTUALISE_PLUGINS", None)
    return env


def run_check(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mutualise.cli", "check"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


PLUGIN_HEADER = """
    from mutualise import hookimpl
    from mutualise.contract import ServiceInfo

    @hookimpl
    def mutualise_service():
        return ServiceInfo(slug="{slug}", label="X", description="", version="1.0", platform="{platform}")
"""


def test_startup_refuses_a_plugin_with_an_unknown_hook(tmp_path):
    source = (
        PLUGIN_HEADER.format(slug="intrus", platform=">=0.1")
        + """
    @hookimpl
    def mutualise_tableau_magique():
        return []
    """
    )
    result = run_check(install_fake_plugin(tmp_path, "intrus", source), tmp_path)
    assert result.returncode != 0
    assert "intrus" in result.stderr and "mutualise_tableau_magique" in result.stderr


def test_startup_skips_an_incompatible_plugin_and_still_starts(tmp_path):
    source = PLUGIN_HEADER.format(slug="futur", platform=">=99")
    result = run_check(install_fake_plugin(tmp_path, "futur", source), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "futur" in result.stderr and "99" in result.stderr and __version__ in result.stderr


# -- The third-party plugin of tests/thirdparty, installed through its own entry point ----------------------------


def test_third_party_plugin_is_loaded_like_a_built_in():
    service = get_registry().get("exemple")
    assert service.app == "mutualise_exemple"
    assert "mutualise_exemple" in settings.TENANT_APPS


def test_third_party_plugin_has_its_table_in_every_commune(commune, other_commune):
    for target in (commune, other_commune):
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s)", [f"{target.schema_name}.mutualise_exemple_note"])
            assert cursor.fetchone()[0] is not None
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.mutualise_exemple_note')")
        assert cursor.fetchone()[0] is None  # tenant data never lands in the public schema


def test_third_party_plugin_view_model_and_bilan_work(commune, commune_agent, client_on):
    from mutualise_exemple.models import Note

    from mutualise.bilan import bilan_sections
    from tenants.subscriptions import enable_service

    enable_service(commune, "exemple")
    connection.set_tenant(commune)
    Note.objects.create(text="note tierce")
    connection.set_schema_to_public()
    response = client_on(commune, commune_agent).get("/services/exemple/")
    assert response.status_code == 200
    assert "note tierce" in response.content.decode()
    from django.utils import timezone

    sections = {b.service.slug: b.section for b in bilan_sections(timezone.localdate().year)}
    assert sections["exemple"].title == "Service exemple"


def test_plugin_guide_documents_every_hook_and_only_them():
    guide = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text()
    documented = {line[4:].strip() for line in guide.splitlines() if line.startswith("### ")}
    assert documented == set(hook_specs())
