"""One commune's archive, at scale: run by ``bench/commune_backup.py``.

    DJANGO_SETTINGS_MODULE=mutualise.settings python -m benchsite.backup_worker --rounds 5 --demandes 2000

Fills the first commune of the instance (by INSEE code) with demandes (each with two messages, and its index row in
the public schema), assets and one attached file per ten demandes, then, each round, in turns:

- export: ``tenants.portability.export_commune`` (schema, public rows, files, checksums, one ``.tar.gz``) against
  ``pg_dump --schema=<schema> --format=custom`` of the same schema (the baseline: the schema's tables only);
- restore: ``restore_commune`` of that archive (after ``delete_commune``, itself timed) against ``pg_restore`` of the
  dump after the schema is dropped (the baseline, again the schema's tables only).

Every restore is checked: the same number of rows in the schema's tables as before. Prints ``BENCH_JSON={...}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--demandes", type=int, default=2000)
    args = parser.parse_args()
    django.setup()

    from django.core.files.base import ContentFile
    from django.db import connection
    from django_tenants.utils import schema_context

    from mutualise.accounts.models import CommuneMembership, User
    from mutualise.demandes.models import Attachment, Demande, Message
    from mutualise.demandes.services import index_values
    from mutualise.models import DemandeIndex
    from plugins.informatique.models import Asset
    from tenants import portability
    from tenants.models import Commune

    commune = Commune.objects.order_by("insee_code").first()
    schema = commune.schema_name
    agent, _ = User.objects.get_or_create(email=f"agent@{commune.slug}.test")
    CommuneMembership.objects.get_or_create(user=agent, commune=commune, defaults={"role": "agent"})
    with schema_context(schema):
        if not Demande.objects.exists():
            demandes = Demande.objects.bulk_create(
                Demande(
                    service="informatique",
                    kind="incident",
                    category="poste",
                    title=f"Poste n° {n} : l'écran reste noir",
                    description="Depuis ce matin, après la mise à jour. " * 5,
                    requester=agent,
                    status="nouvelle" if n % 3 else "resolue",
                )
                for n in range(args.demandes)
            )
            messages = Message.objects.bulk_create(
                Message(demande=d, author=agent, body=f"Relance {k} : toujours en panne.")
                for d in demandes
                for k in range(2)
            )
            Asset.objects.bulk_create(
                Asset(name=f"PC-{n:05d}", kind=Asset.Kind.PC) for n in range(max(1, args.demandes // 4))
            )
            for n in range(0, len(demandes), 10):
                attachment = Attachment(
                    demande=demandes[n], message=messages[2 * n], name="capture.png", size=2048, uploaded_by=agent
                )
                attachment.file.save("capture.png", ContentFile(os.urandom(2048)), save=False)
                attachment.save()
            DemandeIndex.objects.bulk_create(
                DemandeIndex(commune_id=commune.pk, demande_id=d.pk, **index_values(d)) for d in demandes
            )

    def schema_rows() -> dict[str, int]:
        with connection.cursor() as cursor:
            counts = {}
            for table in portability.schema_tables(schema):
                cursor.execute(f'SELECT count(*) FROM "{schema}"."{table}"')
                counts[table] = cursor.fetchone()[0]
            return counts

    reference = schema_rows()
    db = connection.settings_dict
    dsn = f"postgresql://{db['USER']}@/{db['NAME']}?host={db['HOST'] or '127.0.0.1'}&port={db['PORT'] or 5432}"
    rounds = []
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-backup-") as tmp:
        folder = Path(tmp)
        for index in range(args.rounds):
            archive, dump = folder / f"commune-{index}.tar.gz", folder / f"commune-{index}.dump"
            times = {}
            order = ("ours", "pg") if index % 2 == 0 else ("pg", "ours")
            for variant in order:
                started = time.perf_counter()
                if variant == "ours":
                    portability.export_commune(Commune.objects.get(pk=commune.pk), archive)
                else:
                    subprocess.run(
                        ["pg_dump", f"--dbname={dsn}", f"--schema={schema}", "--format=custom", f"--file={dump}"],
                        check=True,
                    )
                times[f"export_{variant}"] = time.perf_counter() - started
            started = time.perf_counter()
            portability.delete_commune(Commune.objects.get(pk=commune.pk), folder / "archives")
            times["delete_ours"] = time.perf_counter() - started
            started = time.perf_counter()
            commune = portability.restore_commune(archive)
            times["restore_ours"] = time.perf_counter() - started
            if schema_rows() != reference:
                raise SystemExit("the restored commune differs from the one exported")
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA "{schema}" CASCADE')
            started = time.perf_counter()
            subprocess.run(["pg_restore", f"--dbname={dsn}", "--single-transaction", str(dump)], check=True)
            times["restore_pg"] = time.perf_counter() - started
            if schema_rows() != reference:
                raise SystemExit("pg_restore gave back another schema")
            rounds.append(
                {
                    **{k: round(v, 3) for k, v in times.items()},
                    "archive_bytes": archive.stat().st_size,
                    "dump_bytes": dump.stat().st_size,
                }
            )
            shutil.rmtree(folder / "archives", ignore_errors=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_commune")
        communes = cursor.fetchone()[0]
    result = {
        "commune": {"insee_code": commune.insee_code, "name": commune.name, "rows": sum(reference.values())},
        "tables": len(reference),
        "communes_in_instance": communes,
        "rounds": rounds,
    }
    print("BENCH_JSON=" + json.dumps(result))


if __name__ == "__main__":
    main()
