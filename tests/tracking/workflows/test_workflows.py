# mypy: disable-error-code="union-attr"
"""Workflows: validation, publishing with the mapping of cases, moving a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import DatabaseError, transaction
from django.utils import timezone
from django_tenants.utils import schema_context
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relier_platform.errors import ApplicationError
from tests.conftest import World, signed_in
from tests.tracking.factories import actor, make_case
from tracking.models import Case, Stage, StageChange, Transition, WorkflowVersion
from tracking.workflows.services import (
    StageSpec,
    TransitionSpec,
    case_transition,
    stage_remove,
    workflow_draft_create,
    workflow_problems,
    workflow_publish,
)

pytestmark = pytest.mark.django_db

# --- Validation, property-based -----------------------------------------------------

keys = st.sampled_from(["a", "b", "c", "d", "e", "f"])


@st.composite
def workflows(draw: st.DrawFn) -> tuple[list[StageSpec], list[TransitionSpec]]:
    stage_keys = draw(st.lists(keys, min_size=1, max_size=6, unique=True))
    stages = [
        StageSpec(key=k, name=draw(st.sampled_from([k, k.upper(), "même nom", " "])),
                  is_open=draw(st.booleans()), is_initial=draw(st.booleans()))
        for k in stage_keys
    ]
    transitions = draw(st.lists(
        st.builds(TransitionSpec, source=keys, target=keys), max_size=12))
    return stages, transitions


def _reachable(stages: list[StageSpec], transitions: list[TransitionSpec]) -> set[str]:
    start = next(s.key for s in stages if s.is_initial)
    seen, frontier = {start}, [start]
    while frontier:
        here = frontier.pop()
        for t in transitions:
            if t.source == here and t.target not in seen:
                seen.add(t.target)
                frontier.append(t.target)
    return seen


@given(workflows())
@settings(max_examples=300)
def test_a_workflow_without_problems_is_sound(
    workflow: tuple[list[StageSpec], list[TransitionSpec]],
) -> None:
    stages, transitions = workflow
    if workflow_problems(stages, transitions):
        return
    keys_ = {s.key for s in stages}
    assert sum(s.is_initial for s in stages) == 1
    names = [" ".join(s.name.split()).casefold() for s in stages]
    assert len(set(names)) == len(names)
    assert all(names)
    assert all(t.source in keys_ and t.target in keys_ for t in transitions)
    assert _reachable(stages, transitions) == keys_
    for stage in stages:
        if stage.is_open:
            assert any(t.source == stage.key and t.target != stage.key for t in transitions)
    assert any(not s.is_open for s in stages)


@given(workflows())
@settings(max_examples=300)
def test_every_unreachable_or_dead_end_stage_is_reported(
    workflow: tuple[list[StageSpec], list[TransitionSpec]],
) -> None:
    stages, transitions = workflow
    problems = " ".join(workflow_problems(stages, transitions))
    for stage in stages:
        real = [t for t in transitions if t.source == stage.key and t.target != stage.key
                and t.target in {s.key for s in stages}]
        if stage.is_open and not real:
            assert f"« {stage.name} » n'a aucune sortie" in problems


def test_default_workflow_is_valid_and_published(world: World) -> None:
    with schema_context("a_acme"):
        version = WorkflowVersion.objects.get(status="published")
        from tracking.workflows.services import version_specs

        assert workflow_problems(*version_specs(version)) == []
        assert [s.key for s in version.stages.all()] == [
            "received", "first_contact", "assessment", "support", "review", "closed"]


# --- Publishing never orphans a case, whatever the sequence of edits -----------------


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=4))
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
def test_no_sequence_of_edits_leaves_a_case_on_a_missing_stage(
    world: World, edits: list[tuple[int, int]]
) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context("a_acme"), transaction.atomic():
        cases = [make_case(world.acme, admin.user) for _ in range(3)]
        with schema_context("a_acme"):
            first = Stage.objects.filter(version__status="published").order_by("position")
            for case, stage in zip(cases, list(first)[1:4], strict=False):
                Case.objects.filter(pk=case.pk).update(stage=stage)
            for removed_index, target_index in edits:
                draft = workflow_draft_create(actor=admin)
                stages = list(draft.stages.order_by("position"))
                removable = [s for s in stages if not s.is_initial and s.is_open]
                mapping: dict[str, str] = {}
                if removable:
                    gone = removable[removed_index % len(removable)]
                    stage_remove(actor=admin, stage=gone)
                    remaining = [s for s in stages if s.pk != gone.pk]
                    mapping[gone.key] = remaining[target_index % len(remaining)].key
                    # keep the draft publishable: reconnect every open stage to the close
                    closing = next(s for s in remaining if not s.is_open)
                    for stage in remaining:
                        if stage.is_open and not Transition.objects.filter(
                                from_stage=stage).exists():
                            Transition.objects.create(version=draft, from_stage=stage,
                                                      to_stage=closing, label="x",
                                                      roles=["admin"])
                        if not stage.is_initial and not Transition.objects.filter(
                                to_stage=stage).exists():
                            initial = next(s for s in remaining if s.is_initial)
                            Transition.objects.create(version=draft, from_stage=initial,
                                                      to_stage=stage, label="y",
                                                      roles=["admin"])
                try:
                    workflow_publish(actor=admin, draft=draft, mapping=mapping)
                except ApplicationError:
                    WorkflowVersion.objects.filter(pk=draft.pk).update(status="retired")
                published = WorkflowVersion.objects.get(status="published")
                for case in Case.objects.exclude(stage=None):
                    assert case.stage.version_id == published.pk
        transaction.set_rollback(True)


def test_publishing_refuses_a_stage_with_cases_and_no_target(world: World) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    case = make_case(world.acme, admin.user)
    with schema_context("a_acme"):
        draft = workflow_draft_create(actor=admin)
        received = draft.stages.get(key="received")
        received.is_initial = False
        received.save()
        first_contact = draft.stages.get(key="first_contact")
        first_contact.is_initial = True
        first_contact.save()
        stage_remove(actor=admin, stage=received)
        with pytest.raises(ApplicationError, match="contient 1 dossier"):
            workflow_publish(actor=admin, draft=draft)
        assert WorkflowVersion.objects.get(status="published").number == 1
        workflow_publish(actor=admin, draft=draft, mapping={"received": "first_contact"})
        moved = Case.objects.get(pk=case.pk)
        assert (moved.stage.key, moved.stage.version.number) == ("first_contact", 2)
        assert StageChange.objects.filter(case=case).count() == 2  # opened, then mapped


def test_invalid_draft_is_refused_with_clear_errors(world: World) -> None:
    admin = actor(world.acme_members["admin"], "admin")
    with schema_context("a_acme"):
        draft = workflow_draft_create(actor=admin)
        draft.stages.filter(key="review").update(name="Évaluation")
        with pytest.raises(ApplicationError, match="même nom"):
            workflow_publish(actor=admin, draft=draft)
        assert WorkflowVersion.objects.get(status="published").number == 1


# --- Moving a case --------------------------------------------------------------------


def _transition(source: str, target: str) -> Transition:
    return Transition.objects.get(version__status="published", from_stage__key=source,
                                  to_stage__key=target)


def test_new_case_starts_at_the_initial_stage(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"])
    with schema_context("a_acme"):
        assert Case.objects.get(pk=case.pk).stage.key == "received"


def test_move_records_history_and_required_fields_are_enforced(world: World) -> None:
    coordinator = actor(world.acme_members["coordinator"], "coordinator")
    case = make_case(world.acme, world.acme_members["admin"], birth_year=None)
    with schema_context("a_acme"):
        case = Case.objects.get(pk=case.pk)
        case = case_transition(actor=coordinator, case=case,
                               transition=_transition("received", "first_contact"),
                               expected_version=case.version, comment="Appel à la mère")
        with pytest.raises(ApplicationError, match="Année de naissance"):
            case_transition(actor=coordinator, case=case,
                            transition=_transition("first_contact", "assessment"),
                            expected_version=case.version)
        assert Case.objects.get(pk=case.pk).stage.key == "first_contact"
        change = StageChange.objects.filter(case=case).first()
        assert (change.from_stage.key, change.to_stage.key, change.comment) == (
            "received", "first_contact", "Appel à la mère")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            StageChange.objects.filter(pk=change.pk).update(comment="effacé")


def test_two_people_moving_at_once_one_wins(world: World) -> None:
    coordinator = actor(world.acme_members["coordinator"], "coordinator")
    admin = actor(world.acme_members["admin"], "admin")
    case = make_case(world.acme, admin.user)
    with schema_context("a_acme"):
        stale = Case.objects.get(pk=case.pk)
        case_transition(actor=admin, case=stale,
                        transition=_transition("received", "first_contact"),
                        expected_version=stale.version)
        with pytest.raises(ApplicationError, match="modifié par quelqu'un d'autre"):
            case_transition(actor=coordinator, case=stale,
                            transition=_transition("received", "first_contact"),
                            expected_version=stale.version)
        assert StageChange.objects.filter(case=case, to_stage__key="first_contact").count() == 1


def test_closing_stage_needs_a_reason_and_closes_the_case(world: World) -> None:
    client = signed_in(world.acme_members["coordinator"], world.acme)
    admin = actor(world.acme_members["admin"], "admin")
    case = make_case(world.acme, admin.user)
    with schema_context("a_acme"):
        case = case_transition(actor=admin, case=Case.objects.get(pk=case.pk),
                               transition=_transition("received", "first_contact"),
                               expected_version=Case.objects.get(pk=case.pk).version)
        close = _transition("first_contact", "closed")
        from tracking.models import PicklistItem

        reason = PicklistItem.objects.get(kind="closing_reason", code="resolved")
    response = client.post(f"/dossiers/{case.pk}/etape/", {
        "transition": close.pk, "version": case.version}, follow=True)
    assert "Indiquez le motif de clôture." in response.content.decode()
    client.post(f"/dossiers/{case.pk}/etape/", {
        "transition": close.pk, "version": case.version, "closing_reason": reason.pk})
    with schema_context("a_acme"):
        closed = Case.objects.get(pk=case.pk)
        assert (closed.stage.key, closed.closed_on, closed.closing_reason_id) == (
            "closed", timezone.localdate(), reason.pk)


def test_volunteer_cannot_move_a_case(world: World) -> None:
    case = make_case(world.acme, world.acme_members["admin"],
                     staff=[world.acme_members["volunteer"]])
    with schema_context("a_acme"):
        move = _transition("received", "first_contact")
    response = signed_in(world.acme_members["volunteer"], world.acme).post(
        f"/dossiers/{case.pk}/etape/", {"transition": move.pk, "version": 1})
    assert response.status_code == 404
    with schema_context("a_acme"):
        assert Case.objects.get(pk=case.pk).stage.key == "received"


def test_overdue_cases_are_flagged_in_the_list(world: World) -> None:
    admin = world.acme_members["admin"]
    late = make_case(world.acme, admin)
    fresh = make_case(world.acme, admin)
    with schema_context("a_acme"):
        Case.objects.filter(pk=late.pk).update(
            stage_entered_at=timezone.now() - timedelta(hours=49))
    response = signed_in(admin, world.acme).get("/dossiers/?overdue=1")
    codes = {c.code for c in response.context["page"]}
    assert codes == {late.code}
    assert fresh.code not in codes
