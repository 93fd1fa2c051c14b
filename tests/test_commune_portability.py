"""One commune's data, portable: export, delete (after export), restore; every row and every file comes back."""

from __future__ import annotations

import datetime
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from mutualise.accounts.models import User
from mutualise.demandes import services
from mutualise.models import AuditEntry
from plugins.informatique.models import Asset
from tenants import portability
from tenants.models import Commune
from tenants.portability import PortabilityError, delete_commune, export_commune, restore_commune
from tenants.subscriptions import enable_service

IGNORED_ACTIONS = {"commune.exportee", "commune.supprimee", "commune.restauree"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "fichiers"
    return settings.MEDIA_ROOT


@pytest.fixture
def gignac_with_data(commune, commune_agent, client_on):
    """Gignac with a subscription, a demande with a message and an attached file, and an asset."""
    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    with schema_context(commune.schema_name):
        demande = services.create(
            commune,
            service="informatique",
            kind="incident",
            category="impression",
            title="Le copieur ne scanne plus",
            description="Depuis ce matin ; « accents » et ; points-virgules\nsur deux lignes.",
            requester=commune_agent,
        )
        Asset.objects.create(name="PC accueil", kind=Asset.Kind.PC)
    response = client_on(commune, commune_agent).post(
        f"/demandes/{demande.pk}/",
        {"body": "La photo", "attachment": SimpleUploadedFile("photo.png", b"\x89PNG-commune")},
    )
    assert response.status_code in (200, 302)
    return commune


def schema_snapshot(schema: str) -> dict[str, list[str]]:
    """Every row of every table of ``schema``, as text, sorted."""
    with connection.cursor() as cursor:
        snapshot = {}
        for table in portability.schema_tables(schema):
            cursor.execute(f'SELECT t::text FROM "{schema}"."{table}" AS t ORDER BY 1')
            snapshot[table] = [row[0] for row in cursor.fetchall()]
        return snapshot


def public_snapshot(commune: Commune) -> dict[str, list[dict]]:
    """The commune's public rows, without their ids and with people named by e-mail."""
    snapshot = {}
    emails = dict(User.objects.values_list("pk", "email"))
    for model in portability.public_models():
        rows = []
        for fk in portability._commune_fields(model):
            for row in model._default_manager.filter(**{fk.attname: commune.pk}).values():
                if row.get("action") in IGNORED_ACTIONS:
                    continue
                row.pop("id")
                for field in model._meta.concrete_fields:
                    if field.is_relation and field.related_model is Commune:
                        row.pop(field.attname)
                    elif field.is_relation and field.related_model is User and row[field.attname]:
                        row[field.attname] = emails[row[field.attname]]
                rows.append(json.dumps(row, sort_keys=True, default=str))
        snapshot[model._meta.label_lower] = sorted(rows)
    return snapshot


def files_of(media: Path, schema: str) -> dict[str, bytes]:
    folder = media / schema
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_commune_goes_out_and_comes_back_whole(gignac_with_data, media, tmp_path):
    commune = gignac_with_data
    schema = commune.schema_name
    rows, public, files = schema_snapshot(schema), public_snapshot(commune), files_of(media, schema)
    assert rows["demandes_demande"] and rows["demandes_message"] and rows["informatique_asset"]
    assert public["mutualise.demandeindex"] and public["tenants.subscription"] and public["tenants.domain"]
    assert list(files.values()) == [b"\x89PNG-commune"]
    with schema_context(schema):
        next_asset = Asset.objects.create(name="Numéro suivant", kind=Asset.Kind.PC)
        last_number = next_asset.pk
        next_asset.delete()

    summary = delete_commune(commune, tmp_path / "archives")
    assert summary.path.exists() and summary.files == 1 and summary.tables["demandes_demande"] == 1
    assert not schema_exists(schema)
    assert not Commune.objects.filter(insee_code="34114").exists()
    assert not (media / schema).exists()
    for model in portability.public_models():
        for fk in portability._commune_fields(model):
            assert not model._default_manager.filter(**{f"{fk.attname}__isnull": False, fk.attname: commune.pk})
    deletion = AuditEntry.objects.get(action="commune.supprimee")
    assert deletion.after["sha256"] == summary.sha256 and deletion.after["insee_code"] == "34114"

    restored = restore_commune(summary.path)
    assert restored.insee_code == "34114" and restored.slug == commune.slug
    assert schema_snapshot(schema) == rows
    assert public_snapshot(restored) == public
    assert files_of(media, schema) == files
    with schema_context(schema):  # the sequences go on from where they were
        assert Asset.objects.create(name="Nouveau", kind=Asset.Kind.PC).pk == last_number + 1
    assert AuditEntry.objects.filter(action="commune.restauree", commune=restored).exists()


def test_restored_on_an_instance_that_does_not_know_its_people(gignac_with_data, commune_agent, tmp_path):
    summary = delete_commune(gignac_with_data, tmp_path / "archives")
    # another instance: nobody there has that address
    User.objects.filter(pk=commune_agent.pk).update(email="ailleurs@autre.test")
    restored = restore_commune(summary.path)
    agent = User.objects.get(email="agent@gignac.test")
    assert agent.pk != commune_agent.pk and not agent.has_usable_password()
    assert restored.memberships.get().user == agent
    with schema_context(restored.schema_name):
        from mutualise.demandes.models import Demande

        assert Demande.objects.get().requester_id == agent.pk


def test_restore_refuses_a_commune_that_exists(gignac_with_data, tmp_path):
    summary = export_commune(gignac_with_data, tmp_path / "gignac.tar.gz")
    with pytest.raises(PortabilityError, match="existe déjà"):
        restore_commune(summary.path)


def rewrite(path: Path, change) -> Path:
    """A copy of the archive ``path`` with ``change(members: dict[name, bytes])`` applied."""
    with tarfile.open(path, "r:gz") as source:
        members = {m.name: source.extractfile(m).read() for m in source.getmembers() if m.isfile()}
    change(members)
    target = path.with_name("modifiee.tar.gz")
    with tarfile.open(target, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


def manifest_change(edit):
    def change(members):
        manifest = json.loads(members["manifest.json"])
        edit(manifest, members)
        members["manifest.json"] = json.dumps(manifest).encode()

    return change


def altered_row(members):
    members["schema/informatique_asset.csv"] = members["schema/informatique_asset.csv"].replace(b"accueil", b"piratE")


def other_migrations(manifest, members):
    manifest["migrations"] = manifest["migrations"][:-1]


def escaping_file(manifest, members):
    members["files/../../evade.txt"] = b"x"
    manifest["members"]["files/../../evade.txt"] = {"size": 1, "sha256": portability.hashlib.sha256(b"x").hexdigest()}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (altered_row, "altérée"),
        (manifest_change(other_migrations), "autres migrations"),
        (manifest_change(escaping_file), "Chemin refusé"),
        (manifest_change(lambda m, _: m.update(format="autre/9")), "Format d'archive inconnu"),
        (lambda members: members.pop("schema/informatique_asset.csv"), "manquants : schema/informatique_asset.csv"),
    ],
)
def test_a_bad_archive_changes_nothing(gignac_with_data, media, tmp_path, change, message):
    summary = delete_commune(gignac_with_data, tmp_path / "archives")
    bad = rewrite(summary.path, change)
    communes, users = Commune.objects.count(), User.objects.count()
    with pytest.raises(PortabilityError, match=message):
        restore_commune(bad)
    assert (Commune.objects.count(), User.objects.count()) == (communes, users)
    assert not schema_exists("commune_34114") and not (media / "commune_34114").exists()
    assert not (tmp_path / "evade.txt").exists()


def test_not_an_archive(db, tmp_path):
    junk = tmp_path / "pas-une-archive.tar.gz"
    junk.write_bytes(b"bonjour")
    with pytest.raises(PortabilityError, match="n'est pas une archive de commune lisible"):
        restore_commune(junk)
    with pytest.raises(PortabilityError, match="introuvable"):
        restore_commune(tmp_path / "absente.tar.gz")


def test_the_command(gignac_with_data, tmp_path, capsys):
    archive = tmp_path / "gignac.tar.gz"
    call_command("commune", "export", "34114", "-o", str(archive))
    assert "Gignac (34114) exportée" in capsys.readouterr().out
    call_command("commune", "delete", "34114", "--archives", str(tmp_path / "archives"), "--noinput")
    assert "supprimée" in capsys.readouterr().out and not Commune.objects.filter(insee_code="34114").exists()
    call_command("commune", "restore", str(archive))
    assert "Gignac (34114) restaurée" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Aucune commune de code INSEE « 99999 »"):
        call_command("commune", "export", "99999")
    with pytest.raises(CommandError, match="existe déjà"):
        call_command("commune", "restore", str(archive))
