"""relier_platform.demo.activity.generate_activity: invented activity that keeps the rules the
services keep."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.demo.activity import generate_activity
from tenants.accounts.selectors import member_list
from tenants.models import Membership
from tracking.cases.services import case_code_next
from tracking.models import (
    FACILITATE,
    Attendance,
    AttendanceStatus,
    AwarenessSession,
    Case,
    CaseCodeCounter,
    CaseContact,
    CaseEvent,
    CaseLink,
    Consent,
    Contact,
    EmploymentMilestone,
    ExchangeGroup,
    GroupFacilitation,
    GroupSession,
    ImpactAssessment,
    Interaction,
    Partner,
)

pytestmark = pytest.mark.django_db

TABLES = {
    "partners": Partner.objects,
    "cases": Case.objects,
    "assigned_staff": Case.assigned_staff.through.objects,
    "case_events": CaseEvent.objects,
    "case_links": CaseLink.objects,
    "consents": Consent.objects,
    "contacts": Contact.objects,
    "case_contacts": CaseContact.objects,
    "interactions": Interaction.objects,
    "interaction_cases": Interaction.cases.through.objects,
    "interaction_contacts": Interaction.contacts.through.objects,
    "groups": ExchangeGroup.objects,
    "group_facilitators": GroupFacilitation.objects,
    "group_sessions": GroupSession.objects,
    "attendances": Attendance.objects,
    "awareness_sessions": AwarenessSession.objects,
    "assessments": ImpactAssessment.objects,
    "employment_milestones": EmploymentMilestone.objects,
}


def staff_by_role(schema_name: str) -> dict[str, list[int]]:
    roles: dict[str, list[int]] = defaultdict(list)
    for membership in member_list(schema_name=schema_name):
        roles[membership.role].append(membership.user_id)
    return dict(roles)


@pytest.fixture
def generated(world):
    schema = world.acme.schema_name
    with schema_context(schema):
        before = {name: manager.count() for name, manager in TABLES.items()}
    counts = generate_activity(schema_name=schema, cases=150, interactions=1200, seed=7,
                               staff_ids_by_role=staff_by_role(schema))
    return world, counts, before


def test_counts_match_the_database(generated):
    world, counts, before = generated
    assert counts["cases"] == 150
    assert counts["interactions"] == 1200
    with schema_context(world.acme.schema_name):
        for name, manager in TABLES.items():
            assert manager.count() - before[name] == counts[name], name
        notes = Interaction.objects.exclude(Q(clinical_note__isnull=True) | Q(clinical_note=""))
        assert notes.count() == counts["clinical_notes"] > 0
    for name in ("partners", "contacts", "case_contacts", "consents", "groups",
                 "group_sessions", "attendances", "awareness_sessions", "assessments"):
        assert counts[name] > 0, name


def test_no_date_in_the_future_and_closing_after_opening(generated):
    world, _counts, _before = generated
    today, now = timezone.localdate(), timezone.now()
    with schema_context(world.acme.schema_name):
        assert not Case.objects.filter(opened_on__gt=today).exists()
        assert not Case.objects.filter(closed_on__gt=today).exists()
        assert not Case.objects.filter(closed_on__lt=F("opened_on")).exists()
        assert Case.objects.filter(closed_on__isnull=False).exists()
        assert not Case.objects.filter(closed_on__isnull=False,
                                       closing_reason__isnull=True).exists()
        assert not Case.objects.filter(closed_on__isnull=True,
                                       closing_reason__isnull=False).exists()
        assert not Interaction.objects.filter(occurred_at__gt=now).exists()
        assert not GroupSession.objects.filter(held_on__gt=today).exists()
        assert not AwarenessSession.objects.filter(held_on__gt=today).exists()
        assert not ImpactAssessment.objects.filter(assessed_on__gt=today).exists()
        assert not Consent.objects.filter(given_on__gt=today).exists()
        # Everything about a case happens while it is open.
        assert not Consent.objects.filter(given_on__lt=F("case__opened_on")).exists()
        assert not ImpactAssessment.objects.filter(
            assessed_on__lt=F("case__opened_on")).exists()
        assert not Attendance.objects.filter(
            Q(session__held_on__lt=F("case__opened_on"))
            | Q(session__held_on__gt=F("case__closed_on"))
        ).exists()
        rows = Interaction.cases.through.objects.values_list(
            "interaction__occurred_at", "case__opened_on", "case__closed_on")
        for occurred_at, opened_on, closed_on in rows:
            day = timezone.localdate(occurred_at)
            assert opened_on <= day <= (closed_on or today)


def test_group_attendance_never_over_capacity_and_only_with_consent(generated):
    world, _counts, _before = generated
    with schema_context(world.acme.schema_name):
        present = (
            GroupSession.objects.annotate(n=Count("attendances", filter=Q(
                attendances__status=AttendanceStatus.PRESENT)))
            .filter(n__gt=F("group__capacity"))
        )
        assert not present.exists()
        assert Attendance.objects.filter(status=AttendanceStatus.PRESENT).exists()
        for attendance in Attendance.objects.select_related("session", "case"):
            consent = (Consent.objects.filter(case=attendance.case,
                                              given_on__lte=attendance.session.held_on)
                       .order_by("-given_on", "-id").first())
            assert consent is not None
            assert consent.exchange_groups


def test_staff_are_members_and_clinical_notes_only_by_psychologists(generated):
    world, _counts, _before = generated
    schema = world.acme.schema_name
    roles = {m.user_id: m.role for m in Membership.objects.filter(
        association=world.acme, is_active=True)}
    with schema_context(schema):
        for row in Interaction.objects.exclude(clinical_note__isnull=True).exclude(
                clinical_note=""):
            assert roles[row.staff_id] == "psychologist"
        assigned = defaultdict(set)
        for case_id, user_id in Case.assigned_staff.through.objects.values_list(
                "case_id", "user_id"):
            assert user_id in roles
            assigned[case_id].add(user_id)
        assert set(assigned) == set(Case.objects.values_list("pk", flat=True))
        # A psychologist or listener only records exchanges on cases they follow.
        for interaction_id, case_id, staff_id in Interaction.cases.through.objects.values_list(
                "interaction_id", "case_id", "interaction__staff_id"):
            assert staff_id in roles, interaction_id
            if roles[staff_id] in ("psychologist", "listener"):
                assert staff_id in assigned[case_id], interaction_id
        facilitators = GroupFacilitation.objects.filter(permission__codename=FACILITATE)
        assert facilitators.count() == GroupFacilitation.objects.count()
        for user_id in facilitators.values_list("user_id", flat=True):
            assert user_id in roles
        assert "volunteer" in {roles[u] for u in facilitators.values_list("user_id", flat=True)}


def test_codes_unique_well_formed_and_counter_consistent(generated):
    world, _counts, _before = generated
    with schema_context(world.acme.schema_name):
        codes = list(Case.objects.values_list("code", "opened_on"))
        assert len({c for c, _d in codes}) == len(codes)
        for code, opened_on in codes:
            assert re.fullmatch(rf"{opened_on.year}-\d{{4,}}", code), code
        for counter in CaseCodeCounter.objects.all():
            numbers = [int(c.split("-")[1]) for c, d in codes if d.year == counter.year]
            assert max(numbers) == counter.last
        # The next case opened by hand gets the next number, not one already taken.
        year = timezone.localdate().year
        assert not Case.objects.filter(code=case_code_next(year)).exists()


def test_realistic_shape(generated):
    world, _counts, _before = generated
    year = timezone.localdate().year
    with schema_context(world.acme.schema_name):
        ages = [year - b for b in Case.objects.values_list("birth_year", flat=True)
                if b is not None]
        assert all(3 <= a <= 26 for a in ages)
        assert sum(11 <= a <= 17 for a in ages) > len(ages) / 2
        assert set(Case.objects.values_list("department", flat=True)) <= {
            "93", "94", "75", "92", "974"}
        assert Case.objects.exclude(referring_partner=None).exists()
        # Every parent is some case's parent; brothers and sisters share theirs.
        assert not Contact.objects.filter(kind="parent", cases__isnull=True).exists()

        def parents(case_id: int) -> set[int]:
            return set(CaseContact.objects.filter(case_id=case_id, contact__kind="parent")
                       .values_list("contact_id", flat=True))

        for link in CaseLink.objects.all():
            assert parents(link.from_case_id) == parents(link.to_case_id)
        consents = Consent.objects.count()
        assert Consent.objects.filter(network_statistics=True).count() > consents * 0.7
        assert Case.objects.filter(first_name="").count() < 30


def test_employment_milestones_keep_the_programmes_rules(generated):
    from tracking.employment.services import add_months

    world, counts, _before = generated
    today = timezone.localdate()
    with schema_context(world.acme.schema_name):
        milestones = list(EmploymentMilestone.objects.select_related("case__programme", "kind"))
        assert len(milestones) == counts["employment_milestones"] > 0
        by_case: dict[int, list[EmploymentMilestone]] = defaultdict(list)
        for m in milestones:
            assert m.case.programme is not None
            assert m.case.programme.code == "back_to_work"
            assert m.case.opened_on <= m.reached_on <= today
            by_case[m.case_id].append(m)
        for held in by_case.values():
            codes = [m.kind.code for m in held]
            assert codes.count("orientation") == 1
            jobs = [m.reached_on for m in held if m.kind.code == "job_or_internship"]
            for m in held:
                months = {"in_post_3_months": 3, "in_post_6_months": 6}.get(m.kind.code)
                if months:
                    assert m.reached_on >= add_months(max(jobs), months)


def test_same_seed_same_data(world):
    schema = world.acme.schema_name
    staff = staff_by_role(schema)

    def generate_and_read() -> tuple[dict[str, int], list[tuple[object, ...]]]:
        with transaction.atomic():
            counts = generate_activity(schema_name=schema, cases=25, interactions=120, seed=3,
                                       staff_ids_by_role=staff)
            with schema_context(schema):
                rows: list[tuple[object, ...]] = list(Case.objects.order_by("code").values_list(
                    "code", "first_name", "birth_year", "town", "opened_on", "closed_on"))
                rows += list(Interaction.objects.order_by("occurred_at", "id").values_list(
                    "occurred_at", "summary", "staff_id"))
            transaction.set_rollback(True)
        return counts, rows

    assert generate_and_read() == generate_and_read()


def test_empty_team_is_refused(world):
    with pytest.raises(ValueError, match="at least one"):
        generate_activity(schema_name=world.acme.schema_name, cases=1, interactions=1,
                          staff_ids_by_role={"volunteer": [world.acme_members["volunteer"].pk]})


def test_seed_demo_fills_each_association_once(world):
    from io import StringIO

    from django.core.management import call_command
    from django.test import override_settings

    from tenants.models import Association

    first, second = StringIO(), StringIO()
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=first)
        call_command("seed_demo", stdout=second)  # idempotent: cases exist, nothing added
    expected = {"liens": (400, 4000), "ecoute-reunion": (60, 500), "pas-a-pas": (60, 500)}
    for slug, (cases, interactions) in expected.items():
        association = Association.objects.get(slug=slug)
        with schema_context(association.schema_name):
            assert Case.objects.count() == cases
            # The generated exchanges, plus those of the drop-in hours held (demo/dropin.py).
            assert Interaction.objects.filter(dropin_booking__isnull=True).count() == \
                interactions
            assert Interaction.objects.filter(dropin_booking__status="held").exists()
            departments = set(Case.objects.values_list("department", flat=True))
        if slug == "ecoute-reunion":
            assert departments == {"974"}
        assert (f"{association.name} — dossiers : {cases}, échanges : {interactions}"
                in first.getvalue())
        assert f"{association.name} — des dossiers existent déjà" in second.getvalue()


def test_demo_cases_sit_on_stages_of_the_workflow_in_force(world: Any) -> None:
    from relier_platform.demo.activity import generate_activity
    from tracking.models import Case

    members = {role: [user.pk] for role, user in world.acme_members.items()}
    generate_activity(schema_name="a_acme", cases=40, interactions=100, seed=3,
                      staff_ids_by_role=members)
    with schema_context("a_acme"):
        assert not Case.objects.filter(stage=None).exists()
        assert not Case.objects.exclude(stage__version__status="published").exists()
        assert not Case.objects.filter(closed_on__isnull=False, stage__is_open=True).exists()
        assert not Case.objects.filter(closed_on=None, stage__is_open=False).exists()


def test_demo_cases_answer_the_demo_custom_fields(generated):
    """The demo's custom fields are answered as the services would store them."""
    from tracking.fields.services import clean_values

    world, _counts, _before = generated
    with schema_context(world.acme.schema_name):
        cases = list(Case.objects.all())
        assert {c.custom.get("niveau_scolaire") for c in cases} >= {"college", "lycee"}
        assert {c.custom.get("cyberharcelement") for c in cases} == {True, False}
        for case in cases:
            assert clean_values("case", case.custom, current=case.custom) == case.custom
            if case.birth_year and case.opened_on.year - case.birth_year <= 14:
                assert case.custom["niveau_scolaire"] in {"primaire", "college"}
