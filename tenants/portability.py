"""One commune's data, portable: export to one archive, restore on this or another instance, delete after export.

An archive (``.tar.gz``) holds:

- ``manifest.json``: the format, the commune's public record, the tenant migrations its schema had applied, each
  member's size and SHA-256, the sequences' positions, and the people its rows refer to (by e-mail);
- ``schema/<table>.csv``: every table of the commune's schema, as PostgreSQL's ``COPY … (FORMAT csv, HEADER)``
  writes it, read in one snapshot;
- ``public/<app>.<model>.json``: the commune's rows in the public schema: every shared model with a foreign key to
  the commune (domains, subscriptions, memberships, API tokens, invitations, demande index rows, audit entries, and
  those of any installed service), found from the models, so that a new one is carried the day it is written;
- ``files/…``: the commune's stored files.

Restoring checks every checksum and the migrations first, then writes everything in one transaction: a bad or
foreign archive changes nothing. Rows keep their ids in the schema; public rows get new ids, their references to the
commune, to people (matched by e-mail, created without a password if missing) and to each other are rewritten.
"""

from __future__ import annotations

import csv
import datetime
import functools
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import schema_exists

from mutualise import __version__, audit
from mutualise.schemas import quoted
from tenants import provisioning, resolution
from tenants.models import Commune, Domain

FORMAT = "mutualise-commune/1"
COMMUNE_FIELDS = (
    "name",
    "insee_code",
    "siren",
    "slug",
    "postal_codes",
    "departement",
    "population",
    "population_year",
    "created_at",
)


class _Encoder(DjangoJSONEncoder):
    """Django's JSON encoder, but keeping the microseconds of times (it rounds them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class PortabilityError(Exception):
    """An archive that cannot be written or restored; the message, in French, says why. Nothing was changed."""


@dataclass
class ArchiveSummary:
    """What an archive holds, as its manifest says."""

    path: Path
    insee_code: str
    name: str
    tables: dict[str, int]
    public_rows: dict[str, int]
    files: int
    sha256: str = ""
    people: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# What the archive carries -------------------------------------------------------------------------------------


def schema_tables(schema: str) -> list[str]:
    """The base tables of ``schema``, by name.

    From the catalogue, not ``information_schema``, whose views get slow with a thousand schemas in the database.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY c.relname",
            [schema],
        )
        return [row[0] for row in cursor.fetchall()]


def _schema_columns(schema: str) -> dict[str, set[str]]:
    """Each table of ``schema`` with its columns (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped",
            [schema],
        )
        columns: dict[str, set[str]] = {}
        for table, column in cursor.fetchall():
            columns.setdefault(table, set()).add(column)
        return columns


def _sequences(schema: str) -> dict[str, int | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s", [schema])
        return dict(cursor.fetchall())


def public_models() -> list[type[models.Model]]:
    """Shared models with a foreign key to the commune: the commune's rows in the public schema.

    Ordered so that a model comes after the exported models it refers to.
    """
    found = [
        model
        for model in apps.get_models()
        if model is not Commune and model._meta.app_config.name in settings.SHARED_APPS and _commune_fields(model)
    ]
    ordered: list[type[models.Model]] = []
    pending = list(found)
    while pending:
        for model in pending:
            needs = {f.related_model for f in _foreign_keys(model)} & set(pending) - {model}
            if not needs:
                ordered.append(model)
                pending.remove(model)
                break
        else:  # a cycle: keep the remaining order
            ordered += pending
            break
    return ordered


def _tenant_only_apps() -> set[str]:
    return set(settings.TENANT_APPS) - set(settings.SHARED_APPS)


def _foreign_keys(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]


def _commune_fields(model: type[models.Model]) -> list[models.ForeignKey]:
    return [f for f in _foreign_keys(model) if f.related_model is Commune]


def _user_columns_in_schema() -> list[tuple[str, str]]:
    """(table, column) of every tenant-app column that refers to a person (a user of the public schema)."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.app_config.name not in _tenant_only_apps():
            continue
        found += [(model._meta.db_table, f.column) for f in _foreign_keys(model) if f.related_model is user_model]
    return found


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def _media_dir(schema: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema


# Export -------------------------------------------------------------------------------------------------------


def export_commune(commune: Commune, path: Path | str, *, actor=None) -> ArchiveSummary:
    """Write ``commune``'s whole data to the archive ``path`` (replaced atomically) and return its summary.

    The schema and the public rows are read in one snapshot (repeatable read) when called outside a transaction.
    """
    path = Path(path)
    schema = commune.schema_name
    connection.set_schema_to_public()
    if not schema_exists(schema):
        raise PortabilityError(_("Le schéma de la commune %(insee)s n'existe pas.") % {"insee": commune.insee_code})
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".export-") as work:
        work_dir = Path(work)
        fresh = not connection.in_atomic_block
        with transaction.atomic():
            if fresh:  # inside a caller's transaction, that transaction is the snapshot
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            manifest = _write_members(commune, work_dir)
        (work_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, cls=_Encoder), "utf-8")
        partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work_dir / "manifest.json", arcname="manifest.json")
            for member in manifest["members"]:
                archive.add(work_dir / member, arcname=member)
        os.replace(partial, path)
    summary = _summary(path, manifest)
    audit.record(
        "commune.exportee",
        actor=actor,
        commune=commune,
        target=commune.name,
        after={"archive": path.name, "sha256": summary.sha256, "lignes": summary.rows, "fichiers": summary.files},
    )
    return summary


def _digest(handle) -> str:
    digest = hashlib.sha256()
    for block in iter(functools.partial(handle.read, 1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return _digest(handle)


def _copy_out(raw, schema: str, table: str, path: Path) -> None:
    with (
        open(path, "wb") as handle,
        raw.copy(f"COPY {quoted(schema)}.{quoted(table)} TO STDOUT WITH (FORMAT csv, HEADER true)") as copy,
    ):
        for block in copy:
            handle.write(block)


def _write_members(commune: Commune, work_dir: Path) -> dict:
    schema = commune.schema_name
    members: dict[str, dict] = {}
    tables: dict[str, int] = {}
    (work_dir / "schema").mkdir()
    (work_dir / "public").mkdir()
    with connection.cursor() as wrapper:
        raw = wrapper.cursor  # psycopg's own cursor, for COPY
        for table in schema_tables(schema):
            _copy_out(raw, schema, table, work_dir / f"schema/{table}.csv")
            wrapper.execute(f"SELECT count(*) FROM {quoted(schema)}.{quoted(table)}")
            tables[table] = wrapper.fetchone()[0]

    user_ids: set[int] = set()
    for table, column in _user_columns_in_schema():
        if table in tables:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT DISTINCT {quoted(column)} FROM {quoted(schema)}.{quoted(table)} "
                    f"WHERE {quoted(column)} IS NOT NULL"
                )
                user_ids |= {row[0] for row in cursor.fetchall()}

    user_model = get_user_model()
    public: dict[str, int] = {}
    for model in public_models():
        condition = models.Q()
        for fk in _commune_fields(model):
            condition |= models.Q(**{fk.attname: commune.pk})
        columns = [f.attname for f in model._meta.concrete_fields]
        rows = list(model._default_manager.filter(condition).order_by("pk").values(*columns))
        for fk in _foreign_keys(model):
            if fk.related_model is user_model:
                user_ids |= {row[fk.attname] for row in rows if row[fk.attname] is not None}
        name = f"public/{_label(model)}.json"
        (work_dir / name).write_text(json.dumps(rows, cls=_Encoder), "utf-8")
        public[_label(model)] = len(rows)

    media = _media_dir(schema)
    files = 0
    if media.is_dir():
        for source in sorted(media.rglob("*")):
            if source.is_file() and not source.is_symlink():
                name = f"files/{source.relative_to(media).as_posix()}"
                target = work_dir / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                files += 1

    for path in sorted(work_dir.rglob("*")):
        if path.is_file():
            members[path.relative_to(work_dir).as_posix()] = {"size": path.stat().st_size, "sha256": _sha256(path)}

    people = list(
        user_model._default_manager.filter(pk__in=user_ids)
        .order_by("pk")
        .values("id", "email", "first_name", "last_name", "is_active")
    )
    labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    return {
        "format": FORMAT,
        "product_version": __version__,
        "exported_at": timezone.now(),
        "commune": {name: getattr(commune, name) for name in COMMUNE_FIELDS},
        "schema": schema,
        "migrations": sorted(m for m in provisioning.applied_migrations(schema) if m[0] in labels),
        "tables": tables,
        "sequences": _sequences(schema),
        "public": public,
        "files": files,
        "people": people,
        "members": members,
    }


def _summary(path: Path, manifest: dict) -> ArchiveSummary:
    return ArchiveSummary(
        path=path,
        insee_code=manifest["commune"]["insee_code"],
        name=manifest["commune"]["name"],
        tables=manifest["tables"],
        public_rows=manifest["public"],
        files=manifest["files"],
        sha256=_sha256(path),
        people=[person["email"] for person in manifest["people"]],
    )


# Reading an archive -------------------------------------------------------------------------------------------


class _Archive:
    """An archive opened for reading, its manifest and every member checked before anything is used."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.tar = tarfile.open(path, "r:gz")  # noqa: SIM115 - closed by close(), after the restore
            member = self.tar.extractfile("manifest.json")
            self.manifest = json.loads(member.read().decode("utf-8")) if member else None
        except FileNotFoundError:
            raise PortabilityError(_("Archive introuvable : %(path)s.") % {"path": path}) from None
        except (tarfile.TarError, KeyError, OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError):
            raise PortabilityError(
                _("%(path)s n'est pas une archive de commune lisible (tar.gz avec manifest.json).") % {"path": path}
            ) from None
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            raise PortabilityError(
                _("Format d'archive inconnu : %(found)s (attendu : %(expected)s).")
                % {
                    "found": (self.manifest or {}).get("format") if isinstance(self.manifest, dict) else None,
                    "expected": FORMAT,
                }
            )
        self._check_members()

    def _check_members(self) -> None:
        declared = self.manifest.get("members", {})
        present = {m.name for m in self.tar.getmembers() if m.isfile()} - {"manifest.json"}
        if present != set(declared):
            raise PortabilityError(
                _(
                    "L'archive ne contient pas les fichiers que son manifeste annonce (manquants : %(missing)s ; en trop : %(extra)s)."
                )
                % {
                    "missing": ", ".join(sorted(set(declared) - present)) or "aucun",
                    "extra": ", ".join(sorted(present - set(declared))) or "aucun",
                }
            )
        for name, facts in declared.items():
            if not _safe_member(name):
                raise PortabilityError(_("Chemin refusé dans l'archive : %(name)s.") % {"name": name})
            if _digest(self.tar.extractfile(name)) != facts.get("sha256"):
                raise PortabilityError(
                    _("L'archive est altérée : la somme de contrôle de %(name)s ne correspond pas.") % {"name": name}
                )

    def open(self, name: str) -> io.BufferedReader:
        return self.tar.extractfile(name)

    def read_json(self, name: str) -> Any:
        return json.loads(self.open(name).read().decode("utf-8"))

    def close(self) -> None:
        self.tar.close()


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and path.parts[0] in {"schema", "public", "files"}
        and "\\" not in name
        and "\x00" not in name
    )


def read_summary(path: Path | str) -> ArchiveSummary:
    """The summary of the archive ``path``, after checking every member against its manifest."""
    archive = _Archive(Path(path))
    try:
        return _summary(Path(path), archive.manifest)
    finally:
        archive.close()


# Restore ------------------------------------------------------------------------------------------------------


def restore_commune(path: Path | str, *, actor=None) -> Commune:
    """Rebuild the commune of the archive ``path`` on this instance and return it.

    Refused, with nothing written, if the archive is altered or foreign, if the commune (its INSEE code, SIREN or
    address) already exists, or if its schema was at other migrations than this instance's code.
    """
    archive = _Archive(Path(path))
    try:
        return _restore(archive, actor)
    finally:
        archive.close()


def _restore(archive: _Archive, actor) -> Commune:
    manifest = archive.manifest
    data = manifest["commune"]
    connection.set_schema_to_public()
    clash = Commune.objects.filter(
        models.Q(insee_code=data["insee_code"]) | models.Q(siren=data["siren"]) | models.Q(slug=data["slug"])
    ).first()
    if clash is not None:
        raise PortabilityError(
            _(
                "La commune %(name)s (%(insee)s) ne peut pas être restaurée : « %(existing)s » existe déjà sur cette "
                "instance avec le même code INSEE, SIREN ou identifiant d'adresse."
            )
            % {"name": data["name"], "insee": data["insee_code"], "existing": clash.name}
        )
    labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    expected = sorted(list(m) for m in provisioning.expected_tenant_migrations() if m[0] in labels)
    archived = sorted(list(m) for m in manifest["migrations"])
    if archived != expected:
        missing = sorted(f"{a}.{n}" for a, n in {tuple(m) for m in expected} - {tuple(m) for m in archived})
        extra = sorted(f"{a}.{n}" for a, n in {tuple(m) for m in archived} - {tuple(m) for m in expected})
        raise PortabilityError(
            _(
                "L'archive a été faite avec d'autres migrations que celles de cette instance (absentes de l'archive : "
                "%(missing)s ; inconnues ici : %(extra)s). Restaurez-la sur une instance de la même version, "
                "puis exportez-la de nouveau."
            )
            % {"missing": ", ".join(missing[:10]) or "aucune", "extra": ", ".join(extra[:10]) or "aucune"}
        )

    schema = manifest["schema"]
    if schema != f"commune_{str(data['insee_code']).lower()}":
        raise PortabilityError(_("Le manifeste de l'archive est incohérent (schéma %(schema)s).") % {"schema": schema})
    if schema_exists(schema):
        raise PortabilityError(
            _("Le schéma %(schema)s existe déjà dans la base sans commune : il faut l'examiner avant de restaurer.")
            % {"schema": schema}
        )
    media = _media_dir(schema)
    if media.exists():
        raise PortabilityError(
            _("Le dossier de fichiers %(path)s existe déjà : déplacez-le avant de restaurer.") % {"path": media}
        )
    staging = Path(settings.MEDIA_ROOT) / f".restauration-{uuid.uuid4().hex}"
    try:
        _extract_files(archive, staging)
        with transaction.atomic():
            commune = Commune(**{k: v for k, v in data.items() if k != "created_at"})
            commune.full_clean(exclude=["schema_name"])
            commune.save()
            Commune.objects.filter(pk=commune.pk).update(created_at=data["created_at"])
            people = _people(manifest["people"])
            provisioning.provision(commune)
            try:
                with transaction.atomic():
                    _load_schema(archive, commune.schema_name, people)
                    _load_public(archive, commune, people)
            except (DatabaseError, psycopg.Error) as error:
                raise PortabilityError(
                    _("Les données de l'archive ne peuvent pas être chargées : %(error)s") % {"error": error}
                ) from error
            from tenants.setup import ensure_domain

            ensure_domain(commune)
            audit.record(
                "commune.restauree",
                actor=actor,
                commune=commune,
                target=commune.name,
                after={"archive": archive.path.name, "lignes": sum(manifest["tables"].values())},
            )
            if staging.exists():
                os.replace(staging, media)
            transaction.on_commit(resolution.reset)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    connection.set_schema_to_public()
    return commune


def _extract_files(archive: _Archive, target: Path) -> None:
    for name in archive.manifest["members"]:
        if not name.startswith("files/"):
            continue
        destination = target.joinpath(*PurePosixPath(name).parts[1:])
        if target.resolve() not in destination.resolve().parents:
            raise PortabilityError(_("Chemin refusé dans l'archive : %(name)s.") % {"name": name})
        destination.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(name) as source, open(destination, "wb") as handle:
            shutil.copyfileobj(source, handle)


def _people(entries: list[dict]) -> dict[int, int]:
    """Old user id → id on this instance, matching by e-mail; people unknown here are created without a password."""
    user_model = get_user_model()
    mapping = {}
    for entry in entries:
        user = user_model._default_manager.filter(email__iexact=entry["email"]).first()
        if user is None:
            user = user_model._default_manager.create_user(
                email=entry["email"],
                password=None,
                first_name=entry.get("first_name", ""),
                last_name=entry.get("last_name", ""),
                is_active=entry.get("is_active", True),
            )
        mapping[int(entry["id"])] = user.pk
    return mapping


def _load_schema(archive: _Archive, schema: str, people: dict[int, int]) -> None:
    tables = schema_tables(schema)
    archived = archive.manifest["tables"]
    if set(tables) != set(archived):
        raise PortabilityError(
            _("Les tables de l'archive ne sont pas celles de cette instance (différence : %(diff)s).")
            % {"diff": ", ".join(sorted(set(tables) ^ set(archived)))}
        )
    with connection.cursor() as cursor:
        # The clone brought the template's rows (migration records, content types): the archive's replace them.
        # Foreign keys are deferred (Django creates them so): they are checked at commit, whatever the order.
        cursor.execute("TRUNCATE " + ", ".join(f"{quoted(schema)}.{quoted(t)}" for t in tables))
        columns = _schema_columns(schema)
        for table in tables:
            _copy_in(cursor.cursor, archive, schema, table, columns[table])
    with connection.cursor() as cursor:
        pairs = [(int(old), new) for old, new in people.items() if int(old) != new]
        if pairs:
            cursor.execute("CREATE TEMPORARY TABLE _people_map (old integer PRIMARY KEY, new integer) ON COMMIT DROP")
            cursor.executemany("INSERT INTO _people_map VALUES (%s, %s)", pairs)
            for table, column in _user_columns_in_schema():
                if table in tables:
                    target = f"{quoted(schema)}.{quoted(table)}"
                    cursor.execute(
                        f"UPDATE {target} AS t SET {quoted(column)} = m.new FROM _people_map m "
                        f"WHERE t.{quoted(column)} = m.old"
                    )
            cursor.execute("DROP TABLE _people_map")
        for name, value in archive.manifest["sequences"].items():
            sequence = f"{quoted(schema)}.{quoted(name)}"
            if value is None:
                cursor.execute("SELECT setval(%s::regclass, 1, false)", [sequence])
            else:
                cursor.execute("SELECT setval(%s::regclass, %s, true)", [sequence, value])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a dangling reference fails here, with the archive named
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _copy_in(raw, archive: _Archive, schema: str, table: str, known: set[str]) -> None:
    handle = archive.open(f"schema/{table}.csv")
    header = handle.readline()
    columns = next(csv.reader([header.decode("utf-8")]), [])
    if not columns or set(columns) - known:
        raise PortabilityError(
            _("Colonnes inconnues dans %(table)s : %(columns)s.")
            % {"table": table, "columns": ", ".join(sorted(set(columns) - known)) or "en-tête vide"}
        )
    column_list = ", ".join(quoted(c) for c in columns)
    with raw.copy(f"COPY {quoted(schema)}.{quoted(table)} ({column_list}) FROM STDIN WITH (FORMAT csv)") as copy:
        for block in iter(lambda: handle.read(1 << 20), b""):
            copy.write(block)


def _load_public(archive: _Archive, commune: Commune, people: dict[int, int]) -> None:
    user_model = get_user_model()
    new_ids: dict[str, dict[int, int]] = {}
    base_host = settings.MUTUALISE_BASE_DOMAIN.split(":")[0]
    by_label = {_label(model): model for model in public_models()}
    for label in archive.manifest["public"]:
        if label not in by_label:
            raise PortabilityError(
                _("L'archive contient des données d'un modèle inconnu ici : %(label)s.") % {"label": label}
            )
    for label, model in by_label.items():
        name = f"public/{label}.json"
        rows = archive.read_json(name) if name in archive.manifest["members"] else []
        ids = new_ids.setdefault(label, {})
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        for row in rows:
            values = {}
            for f in fields:
                value = row.get(f.attname)
                if isinstance(f, models.ForeignKey) and value is not None:
                    value = _remap(f, value, commune, people, new_ids, user_model)
                    if value is None and not f.null:
                        break  # a row whose owner does not exist here
                values[f.attname] = value
            else:
                if model is Domain and not values["domain"].endswith("." + base_host):
                    continue  # another instance's address: this one gets its own below
                columns = ", ".join(quoted(f.column) for f in fields)
                params = [f.get_db_prep_save(f.to_python(values[f.attname]), connection) for f in fields]
                placeholders = ", ".join(["%s"] * len(fields))
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {quoted(model._meta.db_table)} ({columns}) VALUES ({placeholders}) "
                        f"RETURNING {quoted(model._meta.pk.column)}",
                        params,
                    )
                    ids[row[model._meta.pk.attname]] = cursor.fetchone()[0]


def _remap(f: models.ForeignKey, value, commune, people, new_ids, user_model):
    target = f.related_model
    if target is Commune:
        return commune.pk
    if target is user_model:
        return people.get(int(value))
    if _label(target) in new_ids:
        return new_ids[_label(target)].get(value)
    return value if target._default_manager.filter(pk=value).exists() else None


# Delete -------------------------------------------------------------------------------------------------------


def delete_commune(commune: Commune, archive_dir: Path | str, *, actor=None) -> ArchiveSummary:
    """Export ``commune``, check the archive, then remove its schema, its public rows and its files; audited.

    Its audit entries go with it (they are in the archive); one entry records the deletion and the archive's
    checksum. People stay: they may belong to other communes or to the community.
    """
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(archive_dir) / f"commune-{commune.insee_code}-{stamp}.tar.gz"
    summary = export_commune(commune, path, actor=actor)
    read_summary(path)  # every member read back against its checksum before anything is removed
    schema = commune.schema_name
    media = _media_dir(schema)
    trash = media.with_name(f".suppression-{schema}-{uuid.uuid4().hex}")

    try:
        _delete_rows(commune, schema, path, summary, media, trash, actor)
    except BaseException:
        if trash.exists() and not media.exists():
            os.replace(trash, media)
        raise
    shutil.rmtree(trash, ignore_errors=True)
    return summary


def _delete_rows(commune, schema, path, summary, media, trash, actor) -> None:
    from mutualise.models import AuditEntry

    with transaction.atomic():
        connection.set_schema_to_public()
        AuditEntry.objects.filter(commune=commune).delete()
        for model in reversed(public_models()):
            condition = models.Q()
            for fk in _commune_fields(model):
                condition |= models.Q(**{fk.attname: commune.pk})
            model._default_manager.filter(condition).delete()
        name, insee = commune.name, commune.insee_code
        Commune.objects.filter(pk=commune.pk).delete()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checks still pending on its tables would block the drop
            cursor.execute(f"DROP SCHEMA IF EXISTS {quoted(schema)} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        audit.record(
            "commune.supprimee",
            actor=actor,
            target=name,
            after={"insee_code": insee, "archive": path.name, "sha256": summary.sha256},
        )
        if media.exists():
            os.replace(media, trash)
        transaction.on_commit(resolution.reset)
