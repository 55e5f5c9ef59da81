"""Moving an association to the other worker while it keeps serving: a loop opens cases
in it during the whole move; none fails, none is lost, the move is audited, and the
command and the operators' admin both offer it."""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.models import AuditEntry, User
from tenants.tenancy import citus
from tenants.tenancy.services import association_move
from tests.citus.conftest import new_association
from tests.conftest import signed_in
from tests.tracking.factories import make_case
from tracking.models import Case

pytestmark = pytest.mark.citus


def other_node(schema: str) -> str:
    here = citus.schema_nodes()[schema]
    return next(node.label for node in citus.nodes() if node.label != here)


def operator() -> User:
    user, _ = User.objects.get_or_create(email="ops-move@relier.example", defaults={
        "is_staff": True, "is_superuser": True})
    user.set_password("mot-de-passe-de-test-42")
    user.save()
    return user


def test_an_association_moves_while_cases_are_being_opened(cluster_db: None) -> None:
    created = new_association("move")
    association, admin = created.association, created.admin
    schema = association.schema_name
    target = other_node(schema)
    opened: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def open_cases() -> None:
        try:
            while not stop.is_set():
                opened.append(make_case(association, admin).pk)
        except BaseException as error:  # reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    writer = threading.Thread(target=open_cases)
    writer.start()
    try:
        time.sleep(1.0)  # the loop is writing before the move starts
        before = len(opened)
        source = association_move(actor=operator(), association=association, target=target)
        time.sleep(1.0)  # ... and goes on after it
    finally:
        stop.set()
        writer.join(timeout=60)
    assert not errors, errors
    assert before > 0
    assert len(opened) > before
    assert citus.schema_nodes()[schema] == target != source
    with schema_context(schema):
        assert set(Case.objects.values_list("pk", flat=True)) == set(opened)  # none lost
    entry = AuditEntry.objects.filter(association=association, action="association.moved").get()
    assert entry.detail["source"] == source
    assert entry.detail["target"] == target


def test_the_command_lists_the_workers_and_moves(cluster_db: None) -> None:
    association = new_association("cmd").association
    ops = operator()
    out = StringIO()
    call_command("association_move", nodes=True, stdout=out)
    assert association.slug in out.getvalue()
    assert len(out.getvalue().strip().splitlines()) == 2
    target = other_node(association.schema_name)
    out = StringIO()
    call_command("association_move", association.slug, target=target, operator=ops.email,
                 stdout=out)
    assert f"→ {target}" in out.getvalue()
    assert citus.schema_nodes()[association.schema_name] == target


def test_a_wrong_node_is_refused_and_nothing_moves(cluster_db: None) -> None:
    association = new_association("wrong").association
    where = citus.schema_nodes()[association.schema_name]
    with pytest.raises(ApplicationError, match="Nœud inconnu"):
        association_move(actor=None, association=association, target="10.9.9.9:5432")
    with pytest.raises(CommandError, match="Nœud inconnu"):
        call_command("association_move", association.slug, target="10.9.9.9:5432",
                     operator=operator().email)
    assert citus.schema_nodes()[association.schema_name] == where
    assert not AuditEntry.objects.filter(association=association,
                                         action="association.moved").exists()


def test_the_operators_admin_moves_an_association(cluster_db: None) -> None:
    association = new_association("admin").association
    target = other_node(association.schema_name)
    client = signed_in(operator())
    url = "/admin/tenants/association/"
    page = client.post(url, {"action": "move_to_node", "_selected_action": [association.pk]})
    assert page.status_code == 200
    assert target in page.content.decode()
    assert citus.schema_nodes()[association.schema_name] in page.content.decode()
    done = client.post(url, {"action": "move_to_node", "_selected_action": [association.pk],
                             "target_submitted": "1", "target": target}, follow=True)
    assert done.status_code == 200
    connection.close()  # the move ran on the request's connection: read afresh
    assert citus.schema_nodes()[association.schema_name] == target
