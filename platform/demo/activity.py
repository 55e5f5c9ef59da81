"""Invented activity for demonstrations and benchmarks: a year of an association's work.

`generate_activity` writes straight to the tables, in one transaction, with PostgreSQL's COPY
(model instances go through their fields' get_db_prep_save, as with bulk_create, so names
and clinical notes are encrypted; the large volumes — exchanges and their links, group
presences — are written as plain rows): several times faster than bulk_create's INSERTs.
50,000 cases and 500,000 exchanges take one to one and a half minutes on two cores
(bench/case_list.py), a third of it in the foreign-key checks at commit.
The services are there to validate what people type; here the data is made so that it
keeps the same rules:

- assigned staff, interviewers, facilitators and assessors are the team members given;
- a psychologist or listener only records exchanges on cases assigned to them
  (coordinators and admins, who see every case, may record on any);
- clinical notes are written only on exchanges recorded by a psychologist;
- no date is in the future, a case is closed on or after the day it was opened, and every
  exchange, consent, assessment and group presence falls between its case's opening and
  closing;
- at most `capacity` young people are present at a group session, and only young people
  whose consent in force allows the exchange groups take part;
- case codes come from the association's yearly counter (`2025-0042`), which is moved on by
  as many numbers as were used, so that cases opened later get the next numbers.

Everything is invented: first names are common French first names, partner names are made
up; towns are real communes (towns are not people).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from itertools import accumulate
from time import perf_counter as time_counter
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.demo.cases import CaseMaker
from relier_platform.demo.documents import make_documents
from relier_platform.demo.employment import make_milestones
from relier_platform.demo.rows import (
    CHUNK,
    Plan,
    Team,
    Weighted,
    batches,
    bulk,
    copy_rows,
    reserve_ids,
)
from relier_platform.demo.words import (
    CLINICAL,
    CLINICAL_KINDS,
    CLOSING,
    DEFAULT_DEPARTMENTS,
    FIRST_EXCHANGE,
    FOLLOW_UP,
    GROUP_THEMES,
    GROUP_TOPICS,
    INTERACTION_COLUMNS,
    KINDS,
    PARTNER_ONLY,
    QUESTION_PSY,
    SCHOOL_KINDS,
    SITUATION_THEMES,
    WITH_PARENT,
    WITH_SCHOOL,
)
from tracking.columns import object_permission
from tracking.models import (
    FACILITATE,
    Attendance,
    AttendanceStatus,
    AwarenessSession,
    Channel,
    ExchangeGroup,
    GroupFacilitation,
    GroupSession,
    ImpactAssessment,
    Interaction,
    PicklistKind,
)

logger = logging.getLogger(__name__)

# --- The generator ---------------------------------------------------------------------------


class _Generator(CaseMaker):
    """Exchanges, groups, awareness sessions and assessments, on top of the cases."""

    def interaction_plan(self, total: int) -> list[tuple[int, int]]:
        """(moment as day ordinal * 1440 + minute, plan index or -1), in time order: every
        case gets its first exchange on its opening day, the rest go by follow-up weight."""
        rng = self.rng
        plans = self.plans
        partner_only = round(total * 0.04) if self.partners else 0
        on_cases = total - partner_only if plans else 0
        partner_only = total - on_cases if self.partners else 0
        entries: list[tuple[int, int]] = []
        firsts = (range(len(plans)) if on_cases >= len(plans)
                  else sorted(rng.sample(range(len(plans)), on_cases)))
        for index in firsts:
            opened = plans[index].case.opened_on
            entries.append((opened.toordinal() * 1440 + rng.randint(9 * 60, 19 * 60), index))
        extra = on_cases - len(firsts)
        if extra > 0:
            cum = list(accumulate(p.weight for p in plans))
            for index in rng.choices(range(len(plans)), cum_weights=cum, k=extra):
                plan = plans[index]
                day = self.work_day(plan.case.opened_on, plan.end)
                entries.append((day.toordinal() * 1440 + rng.randint(8 * 60, 20 * 60), index))
        for _ in range(partner_only):
            day = self.work_day(self.start, self.today)
            entries.append((day.toordinal() * 1440 + rng.randint(9 * 60, 18 * 60), -1))
        entries.sort()
        return entries

    def make_interactions(self, total: int) -> None:
        available = self.items[PicklistKind.INTERACTION_KIND]
        kinds = {code: available[code] for code in KINDS if code in available} or dict(available)
        if not kinds:
            return
        self.kind_pick = Weighted({c: KINDS.get(c, (5, [], None))[0] for c in kinds})
        self.kinds = kinds
        self.channels = {c: Weighted(dict(KINDS.get(c, (0, [(Channel.PHONE, 1)], None))[1]
                                           or [(Channel.PHONE, 1)])) for c in kinds}
        self.psychologists = frozenset(self.team.psychologists)
        self.encrypt_note = Interaction._meta.get_field("clinical_note").get_prep_value
        self.seen_first: set[int] = set()
        entries = self.interaction_plan(total)
        for chunk in batches(entries, CHUNK):
            self.interaction_chunk(chunk)

    def interaction_chunk(self, chunk: Sequence[tuple[int, int]]) -> None:
        ids = reserve_ids(Interaction, len(chunk))
        rows, case_rows, contact_rows = [], [], []
        for pk, (key, index) in zip(ids, chunk, strict=True):
            row, cases, contacts = self.interaction(key, index)
            rows.append((pk, *row, "{}"))  # no custom answers in the demo
            case_rows += [(pk, self.plans[i].case.pk) for i in cases]
            contact_rows += [(pk, contact_id) for contact_id in contacts]
        self.counts["interactions"] += copy_rows(Interaction, INTERACTION_COLUMNS, rows)
        self.counts["interaction_cases"] += copy_rows(
            Interaction.cases.through, ("interaction_id", "case_id"), case_rows)
        self.counts["interaction_contacts"] += copy_rows(
            Interaction.contacts.through, ("interaction_id", "contact_id"), contact_rows)

    def interaction(self, key: int, index: int) -> tuple[tuple[Any, ...], list[int], list[int]]:
        """One exchange as a row of INTERACTION_COLUMNS (id aside), its cases (plan indexes)
        and contacts (ids)."""
        rng = self.rng
        day = date.fromordinal(key // 1440)
        occurred = self.at(day, key % 1440)
        if index < 0:
            return self.partner_interaction(occurred), [], []
        plan = self.plans[index]
        first = index not in self.seen_first
        self.seen_first.add(index)
        code = "interview" if first and "interview" in self.kinds else self.kind_pick.pick(rng)
        staff = self.interviewer(plan)
        cases, contacts, partner_id = [index], [], None
        if first:
            summary = rng.choice(FIRST_EXCHANGE)
        elif code == "question_psy":
            summary = rng.choice(QUESTION_PSY)
        elif code == "meeting" and plan.case.referring_partner_id and plan.school_contacts:
            summary, partner_id = rng.choice(WITH_SCHOOL), plan.case.referring_partner_id
            contacts = list(plan.school_contacts)
        elif plan.parents and rng.random() < 0.3:
            summary = rng.choice(WITH_PARENT)
            contacts = [rng.choice(plan.parents)]
            sibling = plan.sibling
            if (sibling is not None and rng.random() < 0.5
                    and self.plans[sibling].case.opened_on <= day <= self.plans[sibling].end):
                cases.append(sibling)
        elif plan.case.closed_on and (plan.end - day).days <= 5:
            summary = rng.choice(CLOSING)
        else:
            summary = rng.choice(FOLLOW_UP)
        note = None
        if staff in self.psychologists and code in CLINICAL_KINDS and rng.random() < 0.6:
            note = self.encrypt_note(rng.choice(CLINICAL))
            self.counts["clinical_notes"] += 1
        minutes = KINDS.get(code, (0, [], None))[2]
        row = (self.kinds[code].pk, str(self.channels[code].pick(rng)), occurred,
               rng.randint(*minutes) if minutes else None, staff, partner_id, summary, note,
               staff, occurred)
        return row, cases, contacts

    def interviewer(self, plan: Plan) -> int:
        """Mostly a referent of the case; sometimes a coordinator or admin, who see every
        case. Never a psychologist or listener the case is not assigned to."""
        rng = self.rng
        if self.team.see_all and rng.random() < 0.12:
            return rng.choice(self.team.see_all)
        return plan.staff[0] if len(plan.staff) == 1 or rng.random() < 0.7 else plan.staff[1]

    def partner_interaction(self, occurred: datetime) -> tuple[Any, ...]:
        rng = self.rng
        code = "meeting" if "meeting" in self.kinds and rng.random() < 0.7 else (
            "call" if "call" in self.kinds else next(iter(self.kinds)))
        staff = rng.choice(self.team.see_all + self.team.psychologists or self.team.followers)
        minutes = KINDS.get(code, (0, [], None))[2]
        return (self.kinds[code].pk, str(self.channels[code].pick(rng)), occurred,
                rng.randint(*minutes) if minutes else None, staff, rng.choice(self.partners).pk,
                rng.choice(PARTNER_ONLY), None, staff, occurred)

    # --- exchange groups and situation-analysis groups

    def make_groups(self) -> None:
        rng = self.rng
        count = min(40, max(1, round(len(self.plans) / 60)))
        candidates = [i for i, p in enumerate(self.plans)
                      if p.groups_from is not None and p.age >= 11]
        if not candidates:
            return
        groups, starts, ends = [], [], []
        for number in range(count):
            theme = GROUP_THEMES[number % len(GROUP_THEMES)]
            if number >= len(GROUP_THEMES):
                theme = f"{theme} ({number // len(GROUP_THEMES) + 1})"
            # One group in five analyses situations with parents or pupil ambassadors
            # (no draw from rng: the rest of the demo stays the same).
            kind, audience = ExchangeGroup.Kind.EXCHANGE, ExchangeGroup.Audience.YOUNG_PEOPLE
            if number % 5 == 3:
                kind = ExchangeGroup.Kind.SITUATION_ANALYSIS
                audience = (ExchangeGroup.Audience.PARENTS if number % 10 == 3
                            else ExchangeGroup.Audience.AMBASSADORS)
                theme = SITUATION_THEMES[audience] + (
                    f" ({number // 10 + 1})" if number >= 10 else "")
            weekday = rng.choice([0, 1, 2, 2, 2, 3, 4, 5])
            begins = self.start if rng.random() < 0.6 else self.day_between(
                self.start, self.start + (self.today - self.start) * 2 // 3)
            ended = count >= 4 and number == count - 1
            stops = self.day_between(begins, self.today) if ended else self.today
            groups.append(ExchangeGroup(
                theme=theme, kind=kind, audience=audience, weekday=weekday,
                capacity=10 if rng.random() < 0.85 else 8,
                start_time=time(14) if weekday in (2, 5) else time(rng.choice([17, 18])),
                is_active=not ended,
                created_at=datetime.combine(begins - timedelta(days=rng.randint(3, 20)),
                                            time(11), tzinfo=self.tz),
            ))
            starts.append(begins)
            ends.append(stops)
        self.counts["groups"] = bulk(ExchangeGroup, groups)
        self.group_facilitators(groups)
        rosters = self.rosters(groups, starts, ends, candidates)
        self.group_sessions(groups, starts, ends, rosters)

    def group_facilitators(self, groups: list[ExchangeGroup]) -> None:
        rng = self.rng
        facilitate = object_permission(ExchangeGroup, FACILITATE).pk
        rows = []
        for group in groups:
            chosen = {rng.choice(self.team.listeners or self.team.followers)}
            if self.team.volunteers:
                chosen.add(rng.choice(self.team.volunteers))
                if rng.random() < 0.3:
                    chosen.add(rng.choice(self.team.volunteers))
            if rng.random() < 0.3:
                chosen.add(rng.choice(self.team.followers))
            rows += [(group.pk, uid, facilitate) for uid in sorted(chosen)]
        self.counts["group_facilitators"] = copy_rows(
            GroupFacilitation, ("content_object_id", "user_id", "permission_id"), rows)

    def rosters(self, groups: list[ExchangeGroup], starts: list[date], ends: list[date],
                candidates: list[int]) -> list[list[tuple[int, date, date]]]:
        """Who comes to each group and when: joins after the case opens, leaves by its
        closing; a group takes newcomers only while fewer than capacity + 3 attend."""
        rng = self.rng
        rosters: list[list[tuple[int, date, date]]] = [[] for _ in groups]
        wanted: list[list[tuple[date, int, date]]] = [[] for _ in groups]
        for index in candidates:
            plan = self.plans[index]
            g = rng.randrange(len(groups))
            joins = max(plan.case.opened_on + timedelta(days=rng.randint(3, 30)), starts[g],
                        plan.groups_from or plan.case.opened_on)
            leaves = min(joins + timedelta(days=rng.randint(21, 300)), plan.end, ends[g])
            if joins <= leaves:
                wanted[g].append((joins, index, leaves))
        for g, group in enumerate(groups):
            active: list[date] = []
            for joins, index, leaves in sorted(wanted[g]):
                active = [d for d in active if d >= joins]
                if len(active) < group.capacity + 3:
                    active.append(leaves)
                    rosters[g].append((index, joins, leaves))
        return rosters

    def group_sessions(self, groups: list[ExchangeGroup], starts: list[date], ends: list[date],
                       rosters: list[list[tuple[int, date, date]]]) -> None:
        rng = self.rng
        sessions: list[GroupSession] = []
        for group, begins, stops in zip(groups, starts, ends, strict=True):
            day = begins + timedelta(days=(group.weekday - begins.weekday()) % 7)
            while day <= stops:
                holiday = (day.month == 8 and day.day <= 25) or (
                    (day.month, day.day) >= (12, 24) or (day.month, day.day) <= (1, 1))
                if not holiday and rng.random() < 0.95:
                    sessions.append(GroupSession(group_id=group.pk, held_on=day,
                                                 topic=rng.choice(GROUP_TOPICS)))
                day += timedelta(days=7)
        self.counts["group_sessions"] = bulk(GroupSession, sessions)
        by_group = {group.pk: (group, roster) for group, roster in zip(groups, rosters,
                                                                      strict=True)}
        rows = []
        for session in sessions:
            group, roster = by_group[session.group_id]
            here = [i for i, joins, leaves in roster if joins <= session.held_on <= leaves]
            present = 0
            for index in here:
                draw = rng.random()
                status = (AttendanceStatus.PRESENT if draw < 0.72 else
                          AttendanceStatus.ABSENT if draw < 0.87 else AttendanceStatus.EXCUSED)
                if status == AttendanceStatus.PRESENT:
                    if present >= group.capacity:
                        status = AttendanceStatus.EXCUSED
                    else:
                        present += 1
                rows.append((session.pk, self.plans[index].case.pk, str(status)))
        self.counts["attendances"] = copy_rows(
            Attendance, ("session_id", "case_id", "status"), rows)

    # --- awareness sessions, impact assessments

    def make_awareness(self) -> None:
        rng = self.rng
        count = min(1500, max(4, len(self.plans) // 6))
        schools = [p for p in self.partners if p.kind.code in SCHOOL_KINDS]
        others = [p for p in self.partners if p.kind.code not in SCHOOL_KINDS]
        rows = []
        for _ in range(count):
            day = self.work_day(self.start, self.today)
            while day.month in (7, 8) and rng.random() < 0.8:
                day = self.work_day(self.start, self.today)
            audience = Weighted({"pupils": 80, "parents": 10, "professionals": 10}).pick(rng)
            pool = schools if audience != "professionals" else others or schools
            partner = rng.choice(pool) if pool and rng.random() < 0.9 else None
            department = partner.department if partner else self.departments.pick(rng)
            town = partner.town if partner else self.towns[department].pick(rng)
            programme = (self.item(PicklistKind.PROGRAMME, "cyber_prevention")
                         if audience == "pupils" and rng.random() < 0.6 else None)
            # Mostly classes of pupils; fewer and smaller sessions for parents and professionals.
            counts = {
                "pupils": rng.randint(12, 45) if audience == "pupils" else 0,
                "parents": rng.randint(4, 20) if audience == "parents" else 0,
                "teachers": (rng.randint(0, 2) if audience == "pupils"
                             else rng.randint(0, 5)),
                "other_professionals": rng.randint(3, 15) if audience == "professionals" else 0,
            }
            rows.append(AwarenessSession(
                held_on=day, partner=partner, town=town, department=department,
                programme=programme, created_at=self.at(day, 18 * 60), **counts,
            ))
        self.counts["awareness_sessions"] = bulk(AwarenessSession, rows)
        through = AwarenessSession.facilitators.through
        links = []
        for session in rows:
            chosen = {rng.choice(self.team.psychologists or self.team.followers)}
            if rng.random() < 0.4:
                chosen.add(rng.choice(self.team.followers))
            if self.team.volunteers and rng.random() < 0.3:
                chosen.add(rng.choice(self.team.volunteers))  # shares their life story
            links += [(session.pk, uid) for uid in sorted(chosen)]
        copy_rows(through, ("awarenesssession_id", "user_id"), links)

    def make_assessments(self) -> None:
        """Intake scores for most cases, then reviews every few months that tend to show
        progress on the five axes."""
        rng = self.rng
        axes = ("peers", "family", "school_work", "help", "confidence")
        psychologists = frozenset(self.team.psychologists)
        rows = []
        for plan in self.plans:
            if rng.random() >= 0.65:
                continue
            case = plan.case
            by = next((s for s in plan.staff if s in psychologists), plan.staff[0])
            day = self.day_between(case.opened_on,
                                   min(case.opened_on + timedelta(days=14), plan.end))
            scores = {a: rng.choices([1, 2, 3, 4], weights=[3, 4, 3, 1])[0] for a in axes}
            rows.append(ImpactAssessment(case_id=case.pk, assessed_on=day, moment="intake",
                                         assessed_by_id=by, **scores))
            while (plan.end - day).days >= 60 and rng.random() < 0.7:
                day = self.day_between(day + timedelta(days=60),
                                       min(day + timedelta(days=120), plan.end))
                scores = {a: min(5, max(1, s + rng.choices([-1, 0, 1, 2],
                                                           weights=[1, 4, 4, 1])[0]))
                          for a, s in scores.items()}
                rows.append(ImpactAssessment(case_id=case.pk, assessed_on=day,
                                             moment="review", assessed_by_id=by, **scores))
        self.counts["assessments"] = bulk(ImpactAssessment, rows)




def generate_activity(
    *, schema_name: str, cases: int, interactions: int, seed: int = 0,
    start: date | None = None, staff_ids_by_role: dict[str, list[int]],
    departments: Mapping[str, float] | None = None,
) -> dict[str, int]:
    """Fill one association with a year of invented activity ending today.

    `staff_ids_by_role` maps role codes ("psychologist", "listener", "coordinator", "admin",
    "volunteer" …) to user ids that are active members of the association. `departments`
    weighs where the young people live (default: mostly Seine-Saint-Denis, the rest of
    Île-de-France, La Réunion). Same seed, same data (ids and codes aside). Runs in one
    transaction; returns how many rows of each kind were written.
    """
    today = timezone.localdate()
    start = start or today - timedelta(days=364)
    if start > today:
        raise ValueError("start must not be in the future")
    if cases < 0 or interactions < 0:
        raise ValueError("cases and interactions must be zero or more")
    team = Team.of(staff_ids_by_role)
    rng = random.Random(seed)  # noqa: S311 — invented demo data, not a secret
    with schema_context(schema_name):
        counts = _generate(schema_name, rng=rng, start=start, team=team, cases=cases,
                           interactions=interactions,
                           departments=departments or DEFAULT_DEPARTMENTS)
        _place_in_workflow()
        _demo_custom_fields()
        documents = make_documents(team)
    keys = ("partners", "cases", "assigned_staff", "case_events", "case_links", "consents",
            "contacts", "case_contacts", "interactions", "interaction_cases",
            "interaction_contacts", "clinical_notes", "groups", "group_facilitators",
            "group_sessions", "attendances", "awareness_sessions", "assessments",
            "employment_milestones")
    return {**{key: counts.get(key, 0) for key in keys}, "documents": documents}


DEMO_FIELDS: list[dict[str, Any]] = [
    {"key": "niveau_scolaire", "label": "Niveau scolaire", "kind": "choice",
     "help_text": "Au moment du signalement",
     "choices": [{"code": code, "label": label, "archived": False} for code, label in (
         ("primaire", "Primaire"), ("college", "Collège"), ("lycee", "Lycée"),
         ("apres_lycee", "Études ou formation après le lycée"),
         ("hors_scolarite", "Hors scolarité"))]},
    {"key": "cyberharcelement", "label": "Cyberharcèlement", "kind": "yes_no",
     "help_text": "Des faits ont-ils lieu en ligne ?", "choices": []},
]


def _demo_custom_fields() -> None:
    """Two custom fields of cases, as an association would add them, answered on the
    generated cases (school level from the age; online facts for about a third)."""
    from tracking.models import Case, CustomField

    for position, spec in enumerate(DEMO_FIELDS, start=1):
        CustomField.objects.get_or_create(target="case", key=spec["key"], defaults={
            **spec, "position": position})
    # Computed here rather than in one UPDATE: Citus refuses STABLE functions
    # (jsonb_build_object) over columns in an UPDATE sent to a worker.
    cases = list(Case.objects.exclude(custom__has_key="niveau_scolaire")
                 .only("id", "birth_year", "opened_on", "custom"))
    for case in cases:
        level = None
        if case.birth_year is not None:
            age = case.opened_on.year - case.birth_year
            level = ("primaire" if age <= 10 else "college" if age <= 14 else
                     "lycee" if age <= 17 else
                     "hors_scolarite" if case.id % 4 == 0 else "apres_lycee")
        answers: dict[str, object] = {"cyberharcelement": case.id % 3 == 0}
        if level is not None:
            answers["niveau_scolaire"] = level
        case.custom = {**(case.custom or {}), **answers}
    Case.objects.bulk_update(cases, ["custom"], batch_size=1000)


def _place_in_workflow() -> None:
    """Put every generated case on a stage of the workflow in force: closed cases on the
    closing stage, open ones spread over the open stages (later stages for older cases)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH stages AS (
                SELECT s.id, s.is_open, s.position,
                       row_number() OVER (PARTITION BY s.is_open ORDER BY s.position) AS n,
                       count(*) OVER (PARTITION BY s.is_open) AS total
                FROM tracking_stage s JOIN tracking_workflowversion v ON v.id = s.version_id
                WHERE v.status = 'published'
            )
            UPDATE tracking_case c SET
                stage_id = CASE WHEN c.closed_on IS NOT NULL
                    THEN (SELECT id FROM stages WHERE NOT is_open ORDER BY position LIMIT 1)
                    ELSE (SELECT id FROM stages WHERE is_open
                          AND n = 1 + least(total - 1, (%(today)s::date - c.opened_on) / 30))
                    END,
                stage_entered_at = coalesce(c.closed_on, c.opened_on + ((%(today)s::date
                    - c.opened_on) / 2))::timestamptz
            WHERE c.stage_id IS NULL
            """,
            # A parameter, not current_date: Citus refuses non-immutable functions inside
            # CASE and COALESCE of a statement sent to a worker.
            {"today": timezone.localdate()},
        )


def _generate(schema_name: str, *, rng: random.Random, start: date, team: Team, cases: int,
              interactions: int, departments: Mapping[str, float]) -> dict[str, int]:
    with transaction.atomic():
        generator = _Generator(rng=rng, start=start, team=team, departments=departments)
        phases: list[tuple[str, Callable[[], None]]] = [
            ("partners", lambda: generator.make_partners(min(400, max(10, cases // 6)))),
            ("cases", lambda: generator.make_cases(cases)),
            ("consents", generator.make_consents),
            ("contacts", generator.make_contacts),
            ("interactions", lambda: generator.make_interactions(interactions)),
            ("groups", generator.make_groups),
            ("awareness", generator.make_awareness),
            ("assessments", generator.make_assessments),
            ("employment", lambda: generator.counts.__setitem__(
                "employment_milestones", make_milestones(
                    generator.rng, generator.plans, generator.today, generator.item))),
        ]
        for name, phase in phases:
            began = time_counter()
            phase()
            logger.debug("generate_activity %s: %s, %.1f s", schema_name, name,
                        time_counter() - began)
        began = time_counter()
    # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: they are checked here.
    logger.debug("generate_activity %s: commit (foreign-key checks), %.1f s", schema_name,
                time_counter() - began)
    return dict(generator.counts)
