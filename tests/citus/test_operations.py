"""Operations on the cluster: an association's backup (pg_dump against the coordinator,
which reads its schema's rows from its worker) and restore; closing an association
(request, export, the operator's confirmation that drops its distributed schema); and the
rotation of the encrypted fields' keys across associations on both workers."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import subprocess
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context, schema_exists

from tenants.models import Association, AuditEntry, Domain, Membership, User
from tenants.offboarding import services as offboarding
from tenants.offboarding.backup import _binary, manifest_path
from tenants.tenancy import citus
from tenants.tenancy.services import association_host
from tests.citus.conftest import PASSWORD, new_association
from tests.citus.helpers import member, on_distinct_workers, scalar, worker_of
from tests.conftest import host_client, signed_in
from tests.tenants.keys.test_key_rotation import KEY_B, fernet, keys, raw_values
from tests.tenants.offboarding.test_backup import _drop_association
from tests.tracking.factories import log_interaction, make_case
from tracking.models import Case, Interaction

pytestmark = pytest.mark.citus


def _cases(schema: str) -> list[tuple[str, str, str]]:
    with schema_context(schema):
        return [(c.code, c.first_name, c.town) for c in Case.objects.order_by("code")]


def _dumped_rows(dump: Path, table: str) -> list[list[str]]:
    """The rows of `table` as the dump holds them (pg_restore writes its COPY data)."""
    text = subprocess.run([_binary("pg_restore"), "--data-only", f"--table={table}",
                           "--file=-", str(dump)], capture_output=True, text=True,
                          check=True).stdout
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("COPY ") and
                 f".{table} (" in line)
    end = lines.index("\\.", start)
    return [line.split("\t") for line in lines[start + 1:end]]


def test_backup_holds_the_rows_and_restore_brings_them_back(cluster_db: None,
                                                            tmp_path: Path) -> None:
    created = new_association("sauve")
    association, admin = created.association, created.admin
    slug, schema = association.slug, association.schema_name
    for first_name, town in (("Lina", "Bobigny"), ("Noé", "Pantin"), ("Sacha", "Bondy")):
        make_case(association, admin, first_name=first_name, town=town)
    before = _cases(schema)
    assert [row[1:] for row in before] == [("Lina", "Bobigny"), ("Noé", "Pantin"),
                                           ("Sacha", "Bondy")]

    dump = tmp_path / f"{slug}.dump"
    call_command("association_backup", slug=slug, out=dump)
    assert dump.read_bytes()[:5] == b"PGDMP"
    manifest = json.loads(manifest_path(dump).read_text())
    assert manifest["association"]["schema_name"] == schema
    assert manifest["memberships"] == [{"email": admin.email, "role": "admin",
                                        "is_active": True}]
    # The coordinator holds no row of the schema: pg_dump's COPY read them from the worker.
    rows = _dumped_rows(dump, "tracking_case")
    assert sorted((r[1], r[6]) for r in rows) == [(code, town) for code, _n, town in before]
    assert len(_dumped_rows(dump, "tracking_auditlog")) >= 3

    _drop_association(slug, schema)
    assert not schema_exists(schema)
    assert schema not in citus.schema_nodes()

    call_command("association_restore", file=dump, slug=slug)
    assert schema_exists(schema)
    restored = Association.objects.get(slug=slug)
    assert list(Domain.objects.filter(tenant=restored).values_list("domain", flat=True)) == [
        association_host(slug)]
    assert list(Membership.objects.filter(association=restored)
                .values_list("user__email", "role")) == [(admin.email, "admin")]
    assert _cases(schema) == before
    # Restored as a distributed schema again (the cluster shards new schemas), whole on
    # one worker.
    assert schema in citus.schema_nodes()
    assert citus.schema_nodes()[schema] in {n.label for n in citus.nodes()}
    # ... and no copy of its rows stays in the coordinator's own (shell) tables.
    assert scalar("SELECT pg_relation_size(%s::regclass)", [f"{schema}.tracking_case"]) == 0
    assert scalar("SELECT count(*) FROM citus_tables WHERE table_name::text LIKE %s "
                  "AND citus_table_type = 'schema'", [f"{schema}.%"]) == scalar(
        "SELECT count(*) FROM pg_tables WHERE schemaname = %s", [schema])
    # It serves again, and keeps numbering its cases after the restored ones.
    page = signed_in(admin, restored).get("/dossiers/", {"status": "all"})
    assert page.status_code == 200
    assert {c.code for c in page.context["page"]} == {code for code, _n, _t in before}
    following = make_case(restored, admin, first_name="Après")
    assert following.pk == 4
    assert following.code.endswith("-0004")


def test_closing_an_association_exports_then_drops_its_schema(
        cluster_db: None, tmp_path: Path, settings: Any) -> None:
    settings.OFFBOARDING_EXPORT_DIR = tmp_path
    created = new_association("ferme")
    association, admin = created.association, created.admin
    schema = association.schema_name
    for i in range(3):
        case = make_case(association, admin, first_name=f"Prénom-{i}")
    log_interaction(association, admin, "admin", case, summary="Premier échange")
    witness = new_association("temoin")
    kept = make_case(witness.association, witness.admin, first_name="Témoin")

    # 1. The admin asks: read-only from now on.
    closing = offboarding.association_closure_request(actor=admin, association=association,
                                                      slug_typed=association.slug)
    assert closing.state == Association.State.CLOSING
    client = signed_in(admin, association)
    refused = client.post("/dossiers/nouveau/", {"first_name": "Nouveau"})
    assert refused.status_code == 403
    assert client.get("/dossiers/").status_code == 200

    # 2. The export: every table, decrypted, plus the pg_dump for a restore.
    exported = offboarding.association_export_build(association_id=association.pk)
    path = tmp_path / exported.export_file
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = {t["table"]: t["rows"] for t in manifest["tables"]}
        cases = list(csv.DictReader(io.StringIO(
            archive.read("tables/tracking_case.csv").decode("utf-8"))))
    assert sorted(c["first_name"] for c in cases) == ["Prénom-0", "Prénom-1", "Prénom-2"]
    assert listed["tracking_case"] == 3
    assert listed["tracking_interaction"] == 1
    assert manifest["restore_dump"]["file"].endswith(".dump")
    assert (path.parent / manifest["restore_dump"]["file"]).read_bytes()[:5] == b"PGDMP"
    assert AuditEntry.objects.filter(action="association.export_made",
                                     association=association).count() == 1

    # 3. After the grace period, an operator confirms: the distributed schema is dropped.
    operator = User.objects.create_superuser(f"op-{uuid.uuid4().hex[:8]}@relier.test",
                                             password=PASSWORD)
    assert schema in citus.schema_nodes()
    try:
        closed = offboarding.association_closure_confirm(
            actor=operator, association=exported, slug_typed=association.slug,
            now=timezone.now() + timedelta(days=settings.CLOSURE_GRACE_DAYS + 1))
        _the_schema_is_gone_and_the_rest_stays(closed, schema, operator, witness, kept)
        # The tombstone row stays; the next `migrate_schemas` leaves it alone.
        out = io.StringIO()
        with contextlib.redirect_stdout(out):  # the executor writes on sys.stdout
            call_command("migrate_schemas")
        line = next(line for line in out.getvalue().splitlines() if "without a schema" in line)
        assert schema in line.split("left alone: ")[1].rstrip(".").split(", ")
    finally:
        _drop_association(association.slug, schema)


def _the_schema_is_gone_and_the_rest_stays(closed: Association, schema: str, operator: User,
                                           witness: Any, kept: Case) -> None:
    assert (closed.state, closed.is_active) == (Association.State.CLOSED, False)
    assert not schema_exists(schema)
    assert schema not in citus.schema_nodes()
    assert not Domain.objects.filter(tenant=closed).exists()
    assert host_client(closed).get("/").status_code == 404
    entry = AuditEntry.objects.get(action="association.closed", association=closed)
    assert (entry.actor, entry.detail["schema_dropped"]) == (operator, True)
    # Another association, maybe on the same worker, is untouched.
    with schema_context(witness.association.schema_name):
        assert Case.objects.get(pk=kept.pk).first_name == "Témoin"


def test_key_rotation_across_associations_on_both_workers(cluster_db: None) -> None:
    key_a = settings.SECRET_KEY
    made = on_distinct_workers("cles", 2)
    written = {}
    for created in made:
        association = created.association
        psy = member(association, "psychologist")
        for i in range(3):
            make_case(association, created.admin, first_name=f"Lot-{i}")
        case = make_case(association, created.admin, first_name=f"Anouk-{association.slug}",
                         staff=[psy])
        note = log_interaction(association, psy, "psychologist", case, summary="Entretien",
                               clinical_note=f"note-{association.slug}")
        written[association.schema_name] = (case, note, association)
    schemas = sorted(written)
    assert len({worker_of(written[s][2]) for s in schemas}) == 2
    before = {schema: raw_values(schema) for schema in schemas}

    out = io.StringIO()
    with keys(KEY_B, [key_a]):
        call_command("rotate_field_keys", *[f"--schema={s}" for s in schemas],
                     "--batch-size=2", stdout=out)
    for schema in schemas:
        assert f"{schema} : {len(before[schema])} valeur(s) rechiffrées" in out.getvalue()
        after = raw_values(schema)
        assert after.keys() == before[schema].keys()
        for where, token in after.items():
            assert token != before[schema][where], where
            assert fernet(KEY_B).decrypt(token.encode()) == fernet(key_a).decrypt(
                before[schema][where].encode()), where
            with pytest.raises(InvalidToken):
                fernet(key_a).decrypt(token.encode())
        case, note, association = written[schema]
        assert AuditEntry.objects.filter(action="keys.rotated", association=association,
                                         detail__rewritten=len(before[schema])).exists()
        with keys(KEY_B), schema_context(schema):  # the new key alone reads everything
            assert Case.objects.get(pk=case.pk).first_name == f"Anouk-{association.slug}"
            assert Interaction.objects.get(pk=note.pk).clinical_note == \
                f"note-{association.slug}"
    # Idempotent: a second run rewrites nothing.
    again = io.StringIO()
    with keys(KEY_B, [key_a]):
        call_command("rotate_field_keys", *[f"--schema={s}" for s in schemas], stdout=again)
    for schema in schemas:
        assert f"{schema} : 0 valeur(s) rechiffrées, {len(before[schema])} déjà" in \
            again.getvalue()
