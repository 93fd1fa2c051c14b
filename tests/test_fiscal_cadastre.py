"""Cadastral locals imported with PostgreSQL COPY through the Celery task (inline), on the real database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.files import CommuneFileStorage
from plugins.fiscal import cadastre
from plugins.fiscal.models import Local
from tenants.subscriptions import enable_service
from tests.conftest import make_user

HEADER = (
    "idlocal;idpar;adresse;ccoaff;dcapec;stoth;jannath;dvltrt;ccthp;vacant depuis;jandeb;janimp;exonération;ddenom\r\n"
)
GIGNAC_ROWS = (
    "341140000001;34114000AB0012;3 rue de la République;H;6;85;1975;2 345,50;P;;;;;MARTIN Josiane\r\n"
    '341140000002;34114000AB0013;"5 chemin des Vignes; bâtiment B";H;7;120;2012;1 980;V;2019;;;;ROUX Pierre\r\n'
    '341140000003;34114000ZC0101;route de Montpellier;P;;300;0;12000.00;L;;2020;2024;NC;SCI "LES OLIVIERS"\r\n'
)
SAINT_ANDRE_ROW = "342390000001;34239000AB0001;1 place de la Mairie;H;5;90;1990;3000;P;;;;;FABRE Alain\r\n"
OUTSIDE_ROW = "300070000001;30007000AB0001;ailleurs;H;5;90;1990;3000;P;;;;;X\r\n"


@pytest.fixture
def fiscal(commune, other_commune):
    enable_service(commune, "fiscal", start=datetime.date(2020, 1, 1))
    enable_service(other_commune, "fiscal", start=datetime.date(2020, 1, 1))


@pytest.fixture
def referent(commune):
    user = make_user("maire@gignac.test")
    CommuneMembership.objects.create(user=user, commune=commune, role="referent")
    return user


@pytest.fixture
def fiscal_agent(db):
    user = make_user("analyste@cc.test")
    ServiceMembership.objects.create(user=user, service="fiscal", role="agent")
    return user


def send(client, content: str | bytes, django_capture_on_commit_callbacks):
    data = content.encode("utf-8") if isinstance(content, str) else content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/services/fiscal/locaux/import/", {"file": SimpleUploadedFile("locaux.csv", data)})
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client.get(response["Location"]), response["Location"]


def rows(commune) -> dict[str, Local]:
    with schema_context(commune.schema_name):
        return {local.local_id: local for local in Local.objects.all()}


def test_a_commune_imports_its_extract_through_the_task(
    commune, other_commune, fiscal, referent, client_on, django_capture_on_commit_callbacks
):
    client = client_on(commune, referent)
    content = "\ufeff" + HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW + OUTSIDE_ROW
    page, location = send(client, content, django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "Import terminé : 3 locaux enregistrés." in body
    assert "2 lignes d'autres communes écartées." in body
    assert 'value="100"' in body and "hx-get" not in body  # finished: the bar stops polling
    bar = client.get(location, HTTP_HX_REQUEST="true").content.decode()
    assert bar.lstrip().startswith('<div id="progression"') and "<html" not in bar
    locals_ = rows(commune)
    first, second, third = locals_["341140000001"], locals_["341140000002"], locals_["341140000003"]
    assert (first.rental_value, first.category, first.year_built, first.vacant) == (Decimal("2345.50"), 6, 1975, False)
    assert (second.address, second.vacant, second.vacant_since) == ("5 chemin des Vignes; bâtiment B", True, 2019)
    assert (third.category, third.year_built, third.rental_value) == (None, None, Decimal("12000.00"))
    assert (third.exoneration, third.exoneration_start, third.exoneration_end) == ("NC", 2020, 2024)
    assert third.owner_name == 'SCI "LES OLIVIERS"' and third.affectation == "P"
    assert rows(other_commune) == {}
    # the upload is not kept: owners' personal data
    with schema_context(commune.schema_name):
        assert (
            not CommuneFileStorage().exists("fiscal-imports") or not CommuneFileStorage().listdir("fiscal-imports")[1]
        )
    # a new extract replaces the table
    send(
        client, HEADER + SAINT_ANDRE_ROW + GIGNAC_ROWS.splitlines(keepends=True)[0], django_capture_on_commit_callbacks
    )
    assert set(rows(commune)) == {"341140000001"}


def test_a_comma_file_without_bom(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    content = 'idlocal,idpar,ccoaff,dcapec,dvltrt\n341140000009,34114000AB0099,H,8,"1234,5"\n'
    page, _ = send(client_on(commune, referent), content, django_capture_on_commit_callbacks)
    assert "Import terminé : 1 local enregistré." in page.content.decode()
    assert rows(commune)["341140000009"].rental_value == Decimal("1234.50")


def test_the_community_imports_an_instance_wide_extract(
    commune, other_commune, fiscal, fiscal_agent, client_on, django_capture_on_commit_callbacks
):
    page, _ = send(
        client_on(None, fiscal_agent),
        HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW + OUTSIDE_ROW,
        django_capture_on_commit_callbacks,
    )
    assert "Import terminé : 4 locaux enregistrés." in page.content.decode()
    assert len(rows(commune)) == 3 and set(rows(other_commune)) == {"342390000001"}


def test_invalid_rows_and_nothing_is_written(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    client = client_on(commune, referent)
    send(client, HEADER + GIGNAC_ROWS, django_capture_on_commit_callbacks)
    bad = (
        HEADER
        + GIGNAC_ROWS.replace(";6;85;", ";9;85;")
        + (
            "341140000004;3411400AB0012;x;H;5;1;1990;1;P;;;;;X\r\n"
            "341140000005;34114000AB0014;x;H;5;1;19xx;1;P;;;;;X\r\n"
            "341140000006;34114000AB0015;x;H;5;1;1990;douze;P;;;;;X\r\n"
            "341140000001;34114000AB0016;x;H;5;1;1990;1;P;;;;;X\r\n"
            "341140000007;34114000AB0017;x;H;5\r\n"
        )
    )
    page, _ = send(client, bad, django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "L'import a échoué : rien n'a été enregistré." in body
    for expected in (
        "Ligne 2 : catégorie « 9 » hors de 1 à 8",
        "Ligne 5 : parcelle illisible « 3411400AB0012 »",
        "Ligne 6 : année illisible « 19xx »",
        "Ligne 7 : nombre illisible « douze »",
        "Ligne 8 : identifiant du local « 341140000001 » en double",
        "Ligne 9 : 5 valeurs pour 14 colonnes.",
    ):
        assert expected in body, expected
    assert len(rows(commune)) == 3  # the previous extract is intact


def test_errors_are_capped(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + "".join(f"3411400{n:05d};34114000AB0001;x;H;9;1;1990;1;P;;;;;X\r\n" for n in range(500)))
    with schema_context(commune.schema_name), pytest.raises(cadastre.ImportFailed) as failure:
        cadastre.import_locals(str(path), [commune])
    assert len(failure.value.errors) == cadastre.MAX_ERRORS + 1
    assert "arrêtée après 100 erreurs" in failure.value.errors[-1][1]


def test_a_file_missing_a_required_column(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    page, _ = send(client_on(commune, referent), "idlocal;adresse\r\n1;x\r\n", django_capture_on_commit_callbacks)
    assert "Colonne(s) introuvable(s) dans la première ligne : parcelle, affectation." in page.content.decode()


def test_a_commune_agent_without_the_role_cannot_import(commune, fiscal, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert client.get("/services/fiscal/locaux/import/").status_code == 403
    response = client.post("/services/fiscal/locaux/import/", {"file": SimpleUploadedFile("l.csv", HEADER.encode())})
    assert response.status_code == 403


def test_a_job_is_read_only_in_its_own_space(
    commune, other_commune, fiscal, referent, client_on, django_capture_on_commit_callbacks
):
    _, location = send(client_on(commune, referent), HEADER + GIGNAC_ROWS, django_capture_on_commit_callbacks)
    referent_b = make_user("maire@saint-andre.test")
    CommuneMembership.objects.create(user=referent_b, commune=other_commune, role="referent")
    assert client_on(other_commune, referent_b).get(location).status_code == 404


def test_a_large_import_rebuilds_the_same_indexes(commune, fiscal, tmp_path, monkeypatch):
    from django.db import connection

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'fiscal_local'",
                [commune.schema_name],
            )
            return sorted(cursor.fetchall())

    before = indexes()
    assert any(name.endswith("_pkey") for name, _ in before) and len(before) >= 2
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + GIGNAC_ROWS)
    with schema_context(commune.schema_name):
        result = cadastre.import_locals(str(path), [commune])
        assert result.rows == 3 and Local.objects.filter(parcel="34114000AB0013").count() == 1
    assert indexes() == before


def run(commune_or_communes, path) -> cadastre.LocalsResult:
    """The import run directly, as the task does (in the first commune's schema when importing for one commune)."""
    communes = commune_or_communes if isinstance(commune_or_communes, list) else [commune_or_communes]
    schema = "public" if isinstance(commune_or_communes, list) else communes[0].schema_name
    with schema_context(schema):
        return cadastre.import_locals(str(path), communes)


def failure(commune_or_communes, path) -> list[tuple[int, str]]:
    with pytest.raises(cadastre.ImportFailed) as failed:
        run(commune_or_communes, path)
    return failed.value.errors


def test_a_quote_never_closed_names_its_line(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    unclosed = '341140000009;34114000AB0099;"3 rue du Pont;H;5;1;1990;1;P;;;;;X\r\n'
    path.write_text(HEADER + GIGNAC_ROWS + unclosed)  # with quotes inside a value (read by Python)
    assert failure(commune, path) == [(5, cadastre.UNREADABLE)]
    path.write_text(HEADER + SAINT_ANDRE_ROW.replace("34239", "34114") + unclosed + SAINT_ANDRE_ROW)  # read by COPY
    assert failure(commune, path) == [(3, cadastre.UNREADABLE)]


def test_rows_of_the_wrong_width_are_all_listed_with_the_other_faults(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(
        HEADER
        + GIGNAC_ROWS
        + "341140000004;34114000AB0014;x;H;5;1;1990;1;P;;;;;X;en trop\r\n"
        + "\r\n"  # a blank line is no row
        + "341140000005;34114000AB0015;x;H;5;1;1990;1;P;;;;;X\r\n"
        + "341140000006;34114000AB0016;x;H;5;1\r\n"
        + "341140000007;34114000AB0017;x;H;9;1;1990;1;P;;;;;X\r\n"
    )
    assert failure(commune, path) == [
        (5, "15 valeurs pour 14 colonnes."),
        (8, "6 valeurs pour 14 colonnes."),
        (9, "catégorie « 9 » hors de 1 à 8"),
    ]


def test_a_windows_1252_file(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_bytes((HEADER + GIGNAC_ROWS).encode("cp1252"))
    assert run(commune, path).rows == 3
    with schema_context(commune.schema_name):
        local = Local.objects.get(local_id="341140000002")
    assert local.address == "5 chemin des Vignes; bâtiment B" and local.rental_value == Decimal("1980")


def test_a_byte_that_is_no_utf8_after_the_start_names_its_line(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    filler = "".join(f"3411400{n:05d};34114000AB{n % 10000:04d};rue;H;5;1;1990;1;P;;;;;X\r\n" for n in range(2000))
    path.write_bytes(
        (HEADER + filler).encode() + "341149999999;34114000AB0001;été;H;5;1;1990;1;P;;;;;X\r\n".encode("cp1252")
    )
    assert failure(commune, path) == [(2002, cadastre.ENCODING_ERROR)]


def test_a_local_twice_in_a_commune_wherever_it_is_in_the_file(commune, other_commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    filler = "".join(f"3411400{n:05d};34114000AB0001;rue;H;5;1;1990;1;P;;;;;X\r\n" for n in range(6000))
    same_id_elsewhere = "341140000001;34239000AB0001;rue;H;5;1;1990;1;P;;;;;X\r\n"  # another commune: allowed
    path.write_text(HEADER + filler + same_id_elsewhere + "341140005999;34114000AB0002;rue;H;5;1;1990;1;P;;;;;X\r\n")
    assert failure([commune, other_commune], path) == [
        (6003, "identifiant du local « 341140005999 » en double (déjà ligne 6001).")
    ]


def test_a_quoted_value_over_two_lines_keeps_the_line_numbers(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(
        HEADER
        + '341140000001;34114000AB0012;"3 rue\r\nbâtiment A";H;6;85;1975;1;P;;;;;X\r\n'
        + "341140000002;34114000AB0013;x;H;6;85;19xx;1;P;;;;;X\r\n"
    )
    assert failure(commune, path) == [(4, "année illisible « 19xx » (AAAA)")]


def test_rows_of_communes_outside_the_instance_are_skipped_by_their_idcom(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(
        "idcom;idlocal;idpar;ccoaff;dvltrt;ccthp\n"
        "34114;341140000001;34114000AB0012;h;1 234,5 €;Vacant\n"
        "30007;300070000001;30007000AB0001;H;douze;?\n"  # not checked: not the instance's
        "34114;341140000002;34114000AB0013;H;12.5;\n"
    )
    result = run(commune, path)
    assert (result.rows, result.skipped_rows, result.skipped_communes) == (2, 1, ["30007"])
    with schema_context(commune.schema_name):
        first, second = Local.objects.order_by("local_id")
    assert (first.affectation, first.rental_value, first.vacant) == ("H", Decimal("1234.50"), True)
    assert (second.rental_value, second.vacant, second.address) == (Decimal("12.50"), False, "")


def test_a_fault_in_one_commune_keeps_every_commune_s_previous_extract(commune, other_commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW)
    run([commune, other_commune], path)
    path.write_text(
        HEADER + "341140000099;34114000AB0099;x;H;5;1;1990;1;P;;;;;X\r\n" + SAINT_ANDRE_ROW.replace(";5;", ";0;")
    )
    assert failure([commune, other_commune], path) == [(3, "catégorie « 0 » hors de 1 à 8")]
    assert len(rows(commune)) == 3 and set(rows(other_commune)) == {"342390000001"}
    # a duplicate found only when the primary key is rebuilt rolls back the communes already replaced as well
    path.write_text(HEADER + SAINT_ANDRE_ROW + GIGNAC_ROWS + GIGNAC_ROWS.splitlines(keepends=True)[2])
    assert failure([commune, other_commune], path) == [
        (6, "identifiant du local « 341140000003 » en double (déjà ligne 5).")
    ]
    assert len(rows(commune)) == 3 and rows(other_commune)["342390000001"].owner_name == "FABRE Alain"


def test_progress_moves_through_the_phases(commune, fiscal, tmp_path, monkeypatch):
    monkeypatch.setattr(cadastre, "CHUNK_BYTES", 1024)
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + "".join(f"3411400{n:05d};34114000AB0001;rue;H;5;1;1990;1;P;;;;;X\r\n" for n in range(500)))
    seen: list[tuple[float, str]] = []
    with schema_context(commune.schema_name):
        cadastre.import_locals(str(path), [commune], progress=lambda share, phase: seen.append((share, phase)))
    phases = [phase for _share, phase in seen]
    assert phases.index("vérification") > phases.index("lecture") and phases[-1] == "enregistrement"
    assert len([p for p in phases if p == "lecture"]) > 5
    shares = [share for share, _phase in seen]
    assert shares == sorted(shares) and shares[-1] == 1.0


def test_numbers_out_of_range_and_the_table_left_as_django_made_it(commune, fiscal, tmp_path):
    from django.db import connection

    def constraints():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass",
                [f"{commune.schema_name}.fiscal_local"],
            )
            return sorted(cursor.fetchall())

    before = constraints()
    path = tmp_path / "locaux.csv"
    path.write_text(
        HEADER
        + "341140000001;34114000AB0001;x;H;5;1;3000;1;P;;;;;X\r\n"
        + "341140000002;34114000AB0002;x;H;5;1234567890;1990;-1;P;;;;;X\r\n"
        + "341140000003;34114000AB0003;x;H;5;1;1990;12345678901;P;;;;;X\r\n"
    )
    assert failure(commune, path) == [
        (2, "année illisible « 3000 » (AAAA)"),
        (3, "nombre entier illisible « 1234567890 »"),
        (3, "nombre illisible « -1 »"),
        (4, "valeur locative hors limites « 12345678901 »"),
    ]
    path.write_text(HEADER + GIGNAC_ROWS)
    assert run(commune, path).rows == 3
    assert constraints() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('enable_sort')")
        assert cursor.fetchone() == ("on", "on")


def test_communes_interleaved_in_the_file(commune, other_commune, fiscal, tmp_path):
    first, second, third = GIGNAC_ROWS.splitlines(keepends=True)
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + first + SAINT_ANDRE_ROW + OUTSIDE_ROW + second + third)
    result = run([commune, other_commune], path)
    assert result.per_commune == {"34114": 3, "34239": 1} and result.skipped_communes == ["30007"]
    assert set(rows(commune)) == {"341140000001", "341140000002", "341140000003"}
    assert set(rows(other_commune)) == {"342390000001"}
    path.write_text(HEADER + first + SAINT_ANDRE_ROW + second.replace(";7;", ";9;") + third)
    assert failure([commune, other_commune], path) == [(4, "catégorie « 9 » hors de 1 à 8")]


def test_rows_load_when_postgresql_refuses_to_freeze_them(commune, fiscal, tmp_path):
    from django.db import connection

    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + SAINT_ANDRE_ROW.replace("34239", "34114"))
    with schema_context(commune.schema_name), connection.cursor() as cursor:
        cursor.execute("DECLARE earlier CURSOR FOR SELECT 1")  # an open cursor: COPY FREEZE is refused
        assert cadastre.import_locals(str(path), [commune]).rows == 1
        cursor.execute("CLOSE earlier")
    assert set(rows(commune)) == {"341140000001"}


def fiscal_local_of(schema: str) -> dict[str, list]:
    """The locals table of ``schema`` as pg_catalog describes it, with the schema's name left out."""
    from django.db import connection

    queries = {
        "columns": """SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation, a.attstorage
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                   WHERE a.attrelid = %(table)s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
        "constraints": """SELECT conname, contype, pg_get_constraintdef(oid), condeferrable, condeferred, convalidated
                   FROM pg_constraint WHERE conrelid = %(table)s::regclass ORDER BY 1""",
        "indexes": """SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %(schema)s
                   AND tablename = 'fiscal_local' ORDER BY 1""",
        "table": """SELECT relkind, relpersistence, pg_get_userbyid(relowner), relacl::text[], reloptions
                   FROM pg_class WHERE oid = %(table)s::regclass""",
        "depending": """SELECT classid::regclass::text, deptype FROM pg_depend WHERE refobjid = %(table)s::regclass
                   AND classid <> 'pg_type'::regclass ORDER BY 1, 2""",
    }
    found = {}
    with connection.cursor() as cursor:
        for what, sql in queries.items():
            cursor.execute(sql, {"table": f'"{schema}".fiscal_local', "schema": schema})
            found[what] = [
                tuple(value.replace(f"{schema}.", "") if isinstance(value, str) else value for value in row)
                for row in cursor.fetchall()
            ]
    return found


def test_after_an_import_the_table_is_the_template_s_object_for_object(commune, other_commune, fiscal, tmp_path):
    """Each commune's table is built anew and swapped in: same columns, constraints and indexes under the same names
    (those Django's migrations will alter), same owner and grants, nothing left beside it."""
    from django.db import connection

    from tenants import provisioning

    template = fiscal_local_of(provisioning.template_schema())
    assert not any(name.endswith("_like") for name, _definition in template["indexes"])
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW)
    assert run([commune, other_commune], path).per_commune == {"34114": 3, "34239": 1}
    for schema in (commune.schema_name, other_commune.schema_name):
        assert fiscal_local_of(schema) == template
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = 'fiscal_local_new' OR relname LIKE 'fiscal_stage%'"
        )
        assert cursor.fetchall() == []


def test_two_connections_take_the_tables_one_at_a_time_the_largest_first():
    import collections
    import threading

    builds = [cadastre._Build(str(n), rows, [(f"fill {n}", None)], [], []) for n, rows in enumerate((10, 400, 30))]
    pending = collections.deque(sorted(builds, key=lambda b: -b.rows))
    seen, done = [], [0]
    cadastre._run_builds(lambda sql, params: seen.append(sql), pending, done=done, failed=threading.Event())
    assert seen == ["fill 1", "fill 2", "fill 0"] and done == [440] and not pending
    failed = threading.Event()
    failed.set()  # the other connection failed: nothing more is taken
    pending = collections.deque(builds)
    cadastre._run_builds(lambda sql, params: seen.append(sql), pending, done=done, failed=failed)
    assert len(pending) == 3


def test_the_progress_bar_tells_the_phase(commune, fiscal, referent, client_on):
    from django.db import connection

    from plugins.fiscal import tasks

    client = client_on(commune, referent)
    connection.set_tenant(commune)  # the job's key is in the commune's space, as the task writes it
    job = tasks.new_job()
    for phase, text in (
        ("lecture", "Lecture du fichier : 30 %…"),
        ("vérification", "Vérification des lignes : 30 %…"),
        ("enregistrement", "Enregistrement des locaux : 30 %…"),
        ("index", "Construction des index : 30 %…"),
    ):
        tasks._set(job, status="en_cours", progress=0.3, phase=phase)
        bar = client.get(f"/services/fiscal/locaux/import/{job}/", HTTP_HX_REQUEST="true").content.decode()
        assert text in bar and "hx-get" in bar


def test_tables_left_by_an_interrupted_import_are_dropped_by_the_next(commune, fiscal, tmp_path):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{commune.schema_name}".fiscal_local_new (local_id text)')
        cursor.execute("CREATE UNLOGGED TABLE public.fiscal_stage_0123456789ab (c1 text)")
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + GIGNAC_ROWS)
    assert run(commune, path).rows == 3
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = 'fiscal_local_new' OR relname LIKE 'fiscal_stage%'"
        )
        assert cursor.fetchall() == []
