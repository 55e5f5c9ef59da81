"""create_association: fast, all-or-nothing, with clear refusals."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from tenants.models import Association, AuditEntry, Domain, Membership, User
from tests.conftest import World

pytestmark = pytest.mark.django_db


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}


def _snapshot() -> tuple[int, int, int, int, int, frozenset[str]]:
    return (
        Association.objects.count(), Domain.objects.count(), Membership.objects.count(),
        User.objects.count(), AuditEntry.objects.count(), frozenset(_schemas()),
    )


def test_creates_schema_domain_admin_and_prints_sign_in(world: World) -> None:
    out = StringIO()
    call_command("create_association", slug="gamma", name="Gamma Jeunesse",
                 admin_email="Direction@Gamma.example", stdout=out)
    association = Association.objects.get(slug="gamma")
    assert association.schema_name == "a_gamma"
    assert "a_gamma" in _schemas()
    assert Domain.objects.get(tenant=association).domain == "gamma.relier.test"
    membership = Membership.objects.get(association=association)
    assert (membership.user.email, membership.role) == ("direction@gamma.example", "admin")
    text = out.getvalue()
    assert "http://gamma.relier.test/accounts/login/" in text
    assert "http://gamma.relier.test/accounts/password/reset/key/" in text


def test_new_schema_is_a_migrated_copy_of_the_template(world: World) -> None:
    call_command("create_association", slug="delta", name="Delta", admin_email="d@d.example",
                 stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", ["a_delta"]
        )
        delta = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            ["relier_template"],
        )
        template = {row[0] for row in cursor.fetchall()}
        cursor.execute('SELECT count(*) FROM "a_delta".django_migrations')
        delta_migrations = cursor.fetchone()[0]
        cursor.execute('SELECT count(*) FROM "relier_template".django_migrations')
        template_migrations = cursor.fetchone()[0]
    assert delta == template
    assert "django_session" in delta
    assert delta_migrations == template_migrations > 0


CATALOG = {
    "constraints": """SELECT c.relname, con.conname, con.contype,
                            replace(pg_get_constraintdef(con.oid), %(schema)s || '.', '')
                     FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                     JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s""",
    "indexes": """SELECT indexname, replace(indexdef, %(schema)s || '.', '')
                  FROM pg_indexes WHERE schemaname = %(schema)s""",
    "columns": """SELECT table_name, column_name, data_type, is_nullable, is_identity,
                         column_default FROM information_schema.columns
                  WHERE table_schema = %(schema)s""",
    "triggers": """SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = %(schema)s AND NOT t.tgisinternal""",
}


@pytest.mark.parametrize("what", sorted(CATALOG))
def test_clone_matches_template_object_for_object(world: World, what: str) -> None:
    """Same constraint and index names (later migrations look them up), same columns."""
    with connection.cursor() as cursor:
        found = {}
        for schema in ("a_acme", "relier_template"):
            cursor.execute(CATALOG[what], {"schema": schema})
            found[schema] = sorted(cursor.fetchall())
    assert found["a_acme"] == found["relier_template"]
    assert found["a_acme"]


def test_cloned_schema_has_its_own_identity_sequences(world: World) -> None:
    from django_tenants.utils import schema_context

    from tracking.models import PicklistItem

    with schema_context("a_acme"):
        before = PicklistItem.objects.count()
        item = PicklistItem.objects.create(kind="programme", code="nouveau", label="Nouveau")
        assert item.pk > before
    with connection.cursor() as cursor:
        cursor.execute('SELECT count(*) FROM "relier_template".tracking_picklistitem')
        assert cursor.fetchone()[0] == before


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("www", "est réservée"),
        ("admin", "est réservée"),
        ("api", "est réservée"),
        ("public", "est réservée"),
        ("static", "est réservée"),
        ("acme", "est déjà prise"),
        ("ACME", "est déjà prise"),
        ("-abc", "n'est pas valide"),
        ("abc-", "n'est pas valide"),
        ("a--b", "n'est pas valide"),
        ("ab", "n'est pas valide"),
        ("école", "n'est pas valide"),
        ("un_deux", "n'est pas valide"),
        ("a.b", "n'est pas valide"),
        ("1abc", "n'est pas valide"),
        ("x" * 41, "n'est pas valide"),
    ],
)
def test_bad_slug_is_refused_and_nothing_created(world: World, slug: str, message: str) -> None:
    before = _snapshot()
    with translation.override("fr"), pytest.raises(CommandError, match=message):
        call_command("create_association", f"--slug={slug}", "--name=Nom valide",
                     "--admin-email=x@x.example", stdout=StringIO())
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "email", "message"), [
    ("", "x@x.example", "2 à 200 caractères"),
    ("N" * 201, "x@x.example", "2 à 200 caractères"),
    ("Bon nom", "pas-un-email", "n'est pas valide"),
])
def test_bad_name_or_email_is_refused(world: World, name: str, email: str, message: str) -> None:
    before = _snapshot()
    with translation.override("fr"), pytest.raises(CommandError, match=message):
        call_command("create_association", "--slug=epsilon", f"--name={name}",
                     f"--admin-email={email}", stdout=StringIO())
    assert _snapshot() == before


def test_failure_late_in_provisioning_leaves_nothing_behind(world: World) -> None:
    """The membership insert fails after schema, domain and account were written."""
    before = _snapshot()
    with mock.patch("tenants.tenancy.services.Membership.objects.create",
                    side_effect=RuntimeError("panne simulée")), pytest.raises(RuntimeError):
        call_command("create_association", slug="zeta", name="Zeta",
                     admin_email="nouvelle@zeta.example", stdout=StringIO())
    assert _snapshot() == before
    assert "a_zeta" not in _schemas()
    assert not User.objects.filter(email="nouvelle@zeta.example").exists()


def test_slug_error_is_english_when_english_is_chosen(world: World) -> None:
    from relier_platform.errors import ApplicationError
    from tenants.tenancy.services import validate_slug

    with translation.override("en"), pytest.raises(ApplicationError) as error:
        validate_slug("www")
    assert error.value.code == "slug_reserved"
