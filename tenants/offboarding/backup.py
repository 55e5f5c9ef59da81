"""Backup and restore of one association. Schema: public (the dump holds one tenant schema).

A backup is two files: `<file>` — `pg_dump --format=custom --schema=<schema>`, everything
the association's schema holds — and `<file>.manifest.json` — its rows of the public schema
that a restore needs: the association, its domains, and its members' e-mails and roles
(never a password).

A restore never overwrites: it refuses when the schema, the slug or a domain is already in
use. It replays the dump with `pg_restore`, then recreates the public rows; memberships are
recreated for the accounts that still exist, the others are reported. On a Citus cluster
the schema comes back as a distributed schema, like every association's (structure, then
`citus_schema_distribute`, then rows: see `association_restore`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_tenants.utils import get_public_schema_name, schema_exists

from relier_platform.tenancy import db
from tenants.models import Association, Domain, Membership, User
from tenants.tenancy import citus
from tenants.tenancy.services import audit

MANIFEST_FORMAT = 1


class BackupError(Exception):
    """A refusal or failure told to the operator running the command."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + ".manifest.json")


def _client_env() -> tuple[dict[str, str], str]:
    """libpq environment and database name of Django's connection (the test database
    under tests)."""
    params = connection.settings_dict
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD")):
        if params.get(key):
            env[var] = str(params[key])
    return env, str(params["NAME"])


def _client_dirs() -> list[Path]:
    """Where PostgreSQL clients may be: the embedded server's own (pgserver), the
    distribution's per-version folders, then the PATH."""
    dirs = []
    try:
        import pgserver

        dirs.append(Path(pgserver.__file__).parent / "pginstall" / "bin")
    except ImportError:
        pass
    dirs += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return dirs


def _binary(name: str) -> str:
    """The client matching the server's major version (pg_dump refuses a newer server)."""
    from django.db import connection

    major = connection.cursor().connection.info.server_version // 10000
    candidates = [str(d / name) for d in _client_dirs() if (d / name).exists()]
    on_path = shutil.which(name)
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        version = subprocess.run([candidate, "--version"], capture_output=True, text=True,
                                 check=False).stdout
        found = re.search(r"(\d+)(?:\.\d+)?", version)
        if found and int(found.group(1)) == major:
            return candidate
    if candidates:
        return candidates[-1]
    raise BackupError(f"{name} introuvable (client PostgreSQL {major}).")


def _run(args: list[str], *, options: str = "") -> None:
    """Run a PostgreSQL client; `options`: server settings for its session (PGOPTIONS)."""
    env, _ = _client_env()
    if options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {options}".strip()
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} a échoué : {result.stderr.strip()}")


def association_manifest(association: Association) -> dict[str, Any]:
    memberships = (Membership.objects.filter(association=association)
                   .select_related("user").order_by("user__email"))
    return {
        "format": MANIFEST_FORMAT,
        "made_at": timezone.now().isoformat(),
        "association": {
            "slug": association.slug, "name": association.name,
            "schema_name": association.schema_name, "is_active": association.is_active,
            "created_at": association.created_at.isoformat(),
        },
        "domains": [{"domain": d.domain, "is_primary": d.is_primary}
                    for d in association.domains.order_by("domain")],
        "memberships": [{"email": m.user.email, "role": m.role, "is_active": m.is_active}
                        for m in memberships],
    }


def association_backup(*, slug: str, out: Path) -> Path:
    """Dump the association's schema to `out` and its public rows next to it; returns the
    manifest's path."""
    association = Association.objects.exclude(schema_name=get_public_schema_name()).filter(
        slug=slug).first()
    if association is None:
        raise BackupError(f"Aucune association « {slug} ».")
    _, dbname = _client_env()
    out.parent.mkdir(parents=True, exist_ok=True)
    _run([_binary("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
          f"--schema={association.schema_name}", f"--file={out}", dbname])
    manifest = manifest_path(out)
    manifest.write_text(json.dumps(association_manifest(association), indent=2,
                                   ensure_ascii=False))
    return manifest


@dataclass(frozen=True)
class Restored:
    association: Association
    memberships: int
    missing_accounts: list[str]


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schema_restore(dump: Path, schema: str) -> None:
    """Replay the dump: the schema, its structure and its rows."""
    _, dbname = _client_env()
    restore = [_binary("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
               "--single-transaction", f"--dbname={dbname}"]
    if not citus.active():
        _run([*restore, str(dump)])
        return
    # On a Citus cluster a schema created while schema-based sharding is on is distributed
    # at once, and Citus refuses pg_dump's `ALTER TABLE … ADD GENERATED … AS IDENTITY` on
    # its tables. So the structure is restored as a plain schema of the coordinator, then
    # distributed whole while still empty — nothing is copied, so no copy of the rows is
    # left behind on the coordinator (removing one would need a TRUNCATE, which the audit
    # log's trigger refuses) —, then the rows go through the coordinator to its worker.
    _run([*restore, "--schema-only", str(dump)],
         options="-c citus.enable_schema_based_sharding=off")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT citus_schema_distribute(%s::regnamespace)", [schema])
        _run([*restore, "--data-only", str(dump)])
    except Exception:
        _drop_schema(schema)
        raise


def association_restore(*, dump: Path, slug: str) -> Restored:
    """Recreate an association from `association_backup`'s files; never overwrites."""
    manifest_file = manifest_path(dump)
    if not dump.is_file() or not manifest_file.is_file():
        raise BackupError(f"Fichiers attendus : {dump} et {manifest_file}.")
    manifest = json.loads(manifest_file.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError("Format de manifeste inconnu.")
    row = manifest["association"]
    if row["slug"] != slug:
        raise BackupError(
            f"Cette sauvegarde est celle de « {row['slug']} », pas de « {slug} ».")
    schema = row["schema_name"]
    domains = [d["domain"] for d in manifest["domains"]]
    if db().schema_name != get_public_schema_name():
        db().set_schema_to_public()
    if schema_exists(schema):
        raise BackupError(
            f"Le schéma {schema} existe déjà : restauration refusée (rien n'est écrasé).")
    if Association.objects.filter(slug=slug).exists() or Association.objects.filter(
            schema_name=schema).exists():
        raise BackupError(f"L'association « {slug} » existe déjà : restauration refusée.")
    if Domain.objects.filter(domain__in=domains).exists():
        raise BackupError("Un de ses domaines est déjà utilisé : restauration refusée.")

    _schema_restore(dump, schema)
    try:
        with transaction.atomic():
            association = Association(
                schema_name=schema, slug=slug, name=row["name"], is_active=row["is_active"],
                created_at=parse_datetime(row["created_at"]) or timezone.now(),
            )
            # The schema exists now: create_schema(check_if_exists=True) leaves it alone.
            association.save(verbosity=0)
            for domain in manifest["domains"]:
                Domain.objects.create(domain=domain["domain"], tenant=association,
                                      is_primary=domain["is_primary"])
            users = {u.email: u for u in User.objects.filter(
                email__in=[m["email"] for m in manifest["memberships"]])}
            restored = 0
            missing = []
            for member in manifest["memberships"]:
                user = users.get(member["email"])
                if user is None:
                    missing.append(member["email"])
                    continue
                Membership.objects.create(user=user, association=association,
                                          role=member["role"], is_active=member["is_active"])
                restored += 1
            audit("association.restored", association=association, slug=slug)
    except Exception:
        _drop_schema(schema)
        raise
    return Restored(association=association, memberships=restored, missing_accounts=missing)
