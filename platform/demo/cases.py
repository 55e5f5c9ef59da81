"""The first half of the demonstration generator: partners, cases, their codes, events,
consents and contacts (platform/demo/activity.py makes the rest)."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from relier_platform.demo.rows import (
    Plan,
    Team,
    Weighted,
    ascii_only,
    bulk,
    copy_rows,
)
from relier_platform.demo.words import (
    AGE_WEIGHTS,
    AGES,
    BOYS,
    CLOSING_REASONS,
    EPICENE,
    FATHERS,
    GIRLS,
    MOTHERS,
    PARTNER_KINDS,
    SCHOOL_KINDS,
    SCHOOL_STAFF,
    SITUATIONS,
    SOURCES_ADULT,
    SOURCES_MINOR,
    SURNAMES,
    TOWNS,
    WORK_AGE_WEIGHTS,
)
from tracking.models import (
    Case,
    CaseContact,
    CaseEvent,
    CaseLink,
    CaseRole,
    Consent,
    ConsentGiver,
    Contact,
    ContactKind,
    Gender,
    Partner,
    PicklistItem,
    PicklistKind,
)


class CaseMaker:
    """Partners, cases and the people around them, for one association's year."""

    def __init__(self, *, rng: random.Random, start: date, team: Team,
                 departments: Mapping[str, float]) -> None:
        self.rng = rng
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        self.start = start
        self.team = team
        self.departments = Weighted({d: w for d, w in departments.items() if d in TOWNS})
        if not self.departments.keys:
            raise ValueError(f"departments must name some of {sorted(TOWNS)}")
        self.towns = {d: Weighted({t: 1 / (1 + i * 0.2) for i, t in enumerate(towns)})
                      for d, towns in TOWNS.items()}
        self.items: dict[str, dict[str, PicklistItem]] = defaultdict(dict)
        for item in PicklistItem.objects.filter(is_archived=False):
            self.items[item.kind][item.code] = item
        self.partners: list[Partner] = []
        self.partners_by: dict[tuple[str, str], list[Partner]] = defaultdict(list)
        self.plans: list[Plan] = []
        self.counts: dict[str, int] = defaultdict(int)

    # --- small random helpers

    def item(self, kind: str, code: str) -> PicklistItem | None:
        """The association's active item of that code, else another active item of the
        same list (an association may have archived or renamed defaults), else None."""
        items = self.items.get(kind) or {}
        found = items.get(code)
        if found is None and items:
            found = items[sorted(items)[self.rng.randrange(len(items))]]
        return found

    def weighted_item(self, kind: str, weights: Mapping[str, float]) -> PicklistItem | None:
        return self.item(kind, Weighted(weights).pick(self.rng))

    def day_between(self, low: date, high: date) -> date:
        if high <= low:
            return low
        return low + timedelta(days=self.rng.randint(0, (high - low).days))

    def at(self, day: date, minute: int) -> datetime:
        moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)
        return min(moment, self.now)

    def work_day(self, low: date, high: date) -> date:
        """A day between low and high, moved off the weekend when there is room."""
        day = self.day_between(low, high)
        if day.weekday() >= 5 and self.rng.random() < 0.85:
            friday = day - timedelta(days=day.weekday() - 4)
            monday = day + timedelta(days=7 - day.weekday())
            if friday >= low:
                day = friday
            elif monday <= high:
                day = monday
        return day

    def phone(self) -> str:
        pairs = " ".join(f"{self.rng.randint(0, 99):02d}" for _ in range(4))
        return f"0{self.rng.choice('67')} {pairs}"

    # --- partners

    def make_partners(self, count: int) -> None:
        shares = Weighted({kind: share for kind, share, _p, _n in PARTNER_KINDS})
        patterns = {kind: (p, n) for kind, _s, p, n in PARTNER_KINDS}
        # At least one of each kind that brings cases, then by share.
        kinds = ["middle_school", "high_school", "primary_school", "town_hall",
                 "social_centre", "employment_agency"][:count]
        kinds += [shares.pick(self.rng) for _ in range(count - len(kinds))]
        used: set[str] = set()
        rows = []
        for code in kinds:
            kind = self.item(PicklistKind.PARTNER_TYPE, code)
            if kind is None:
                continue
            department = self.departments.pick(self.rng)
            town = self.towns[department].pick(self.rng)
            pattern, names = patterns.get(kind.code, patterns["other"])
            name = self.rng.choice(pattern).format(self.rng.choice(names))
            if name in used:
                name = f"{name} ({town})"
            suffix = 2
            while name in used:
                name, suffix = f"{name.rsplit(' · ', 1)[0]} · site {suffix}", suffix + 1
            used.add(name)
            created = datetime.combine(self.start - timedelta(days=self.rng.randint(30, 900)),
                                       time(10), tzinfo=self.tz)
            rows.append(Partner(name=name, kind=kind, town=town, department=department,
                                created_at=created))
        self.counts["partners"] = bulk(Partner, rows)
        self.partners = rows
        for partner in rows:
            self.partners_by[(partner.kind.code, partner.department)].append(partner)
            self.partners_by[(partner.kind.code, "")].append(partner)

    def partner_of(self, kinds: Sequence[str], department: str) -> Partner | None:
        kind = self.rng.choice(kinds)
        local = self.partners_by.get((kind, department)) or []
        pool = local if local and self.rng.random() < 0.9 else self.partners_by.get((kind, ""))
        return self.rng.choice(pool) if pool else None

    # --- cases

    def opening_days(self, count: int) -> list[date]:
        """Fewer openings in July and August, more in the autumn."""
        month_weight = {7: 0.5, 8: 0.3, 9: 1.1, 10: 1.2, 11: 1.2, 12: 0.9}
        days: list[date] = []
        while len(days) < count:
            day = self.work_day(self.start, self.today)
            if self.rng.random() * 1.2 <= month_weight.get(day.month, 1.0):
                days.append(day)
        days.sort()
        return days

    def referring(self, source: str, age: int, department: str) -> Partner | None:
        rng = self.rng
        if source == "school" and rng.random() < 0.85:
            kind = ("primary_school" if age <= 10 else "middle_school" if age <= 14
                    else "high_school")
            return self.partner_of([kind], department)
        if source == "partner" and rng.random() < 0.9:
            return self.partner_of(["social_centre", "association", "town_hall", "health"],
                                   department)
        if source == "employment_service" and rng.random() < 0.95:
            return self.partner_of(["employment_agency"], department)
        if source == "prevention_forum" and rng.random() < 0.5:
            return self.partner_of(["town_hall"], department)
        return None

    def programme(self, source: str, age: int) -> PicklistItem | None:
        rng = self.rng
        if source == "employment_service":
            code = "back_to_work"
        elif source == "school" and age <= 17:
            code = Weighted({"cyber_prevention": 35, "individual": 50,
                              "exchange_groups": 15}).pick(rng)
        else:
            code = Weighted({"individual": 65, "exchange_groups": 25,
                              "back_to_work": 5 if age >= 16 else 0, "": 5}).pick(rng)
        return self.item(PicklistKind.PROGRAMME, code) if code else None

    def case_staff(self) -> list[int]:
        team, rng = self.team, self.rng
        groups = Weighted({
            "psychologists": 50 * bool(team.psychologists),
            "listeners": 35 * bool(team.listeners),
            "coordinators": 15 * bool(team.coordinators),
        })
        if not groups.keys:
            return [rng.choice(team.admins)]
        first_group = groups.pick(rng)
        staff = [rng.choice(getattr(team, first_group))]
        if rng.random() < 0.3:
            second = rng.choice(team.followers)
            if second not in staff:
                staff.append(second)
        return staff

    def follow_up_weight(self, span: int) -> float:
        """How many exchanges a case draws: often one or two, sometimes many for months."""
        rng = self.rng
        draw = rng.random()
        base = 0.25 if draw < 0.35 else 1.0 if draw < 0.85 else 3 + min(rng.paretovariate(1.3),
                                                                        80)
        return base * (span + 14) / 120

    def new_case(self, opened: date, ages: Weighted, work_ages: Weighted,
                 sources: tuple[Weighted, Weighted]) -> Plan:
        rng = self.rng
        department = self.departments.pick(rng)
        town = self.towns[department].pick(rng)
        work_track = rng.random() < 0.08 and "employment_service" in self.items.get(
            PicklistKind.DETECTION_SOURCE, {})
        age = work_ages.pick(rng) if work_track else ages.pick(rng)
        source = "employment_service" if work_track else sources[age >= 18].pick(rng)
        partner = self.referring(source, age, department)
        if partner is not None and rng.random() < 0.6:
            town, department = partner.town, partner.department
        gender = Weighted({Gender.GIRL: 52, Gender.BOY: 45, Gender.OTHER: 1.5,
                            Gender.UNKNOWN: 1.5}).pick(rng)
        names = GIRLS if gender == Gender.GIRL else BOYS if gender == Gender.BOY else EPICENE
        birth_year = min(max(opened.year - age, self.today.year - 25), self.today.year - 3)
        case = Case(
            first_name=rng.choice(names) if rng.random() < 0.95 else "",
            birth_year=birth_year if rng.random() < 0.97 else None,
            gender=gender, town=town, department=department,
            role=Weighted({CaseRole.TARGETED: 85, CaseRole.WITNESS: 8,
                            CaseRole.AUTHOR: 7}).pick(rng),
            programme=self.programme(source, age),
            detection_source=self.item(PicklistKind.DETECTION_SOURCE, source),
            referring_partner=partner, opened_on=opened,
        )
        case.created_at = case.updated_at = self.at(opened, rng.randint(9 * 60, 18 * 60))
        end = self.today
        span = (end - opened).days
        weight = self.follow_up_weight(span)
        # Closed: most short follow-ups, fewer long ones; never after today.
        if rng.random() < min(0.85, span / 250) * (1.0 if weight < 1.5 else 0.5):
            length = rng.randint(0, 45) if weight < 0.5 else rng.randint(20, 260)
            if opened + timedelta(days=length) <= self.today:
                end = opened + timedelta(days=length)
                case.closed_on = end
                case.closing_reason = self.weighted_item(PicklistKind.CLOSING_REASON,
                                                         CLOSING_REASONS)
                weight = weight * (length + 14) / (span + 14)
        return Plan(case=case, age=age, end=end, staff=self.case_staff(), weight=weight)

    def make_cases(self, count: int) -> None:
        ages = Weighted(dict(zip(AGES, AGE_WEIGHTS, strict=True)))
        work_ages = Weighted(dict(zip(AGES, WORK_AGE_WEIGHTS, strict=True)))
        sources = (Weighted(SOURCES_MINOR), Weighted(SOURCES_ADULT))
        plans = [self.new_case(day, ages, work_ages, sources)
                 for day in self.opening_days(count)]
        self.siblings(plans)
        self.codes(plans)
        self.plans = plans
        self.counts["cases"] = bulk(Case, [p.case for p in plans])
        situation = Weighted(SITUATIONS)
        through_types = Case.situation_types.through
        through_staff = Case.assigned_staff.through
        types, staff = [], []
        for plan in plans:
            chosen = {self.item(PicklistKind.SITUATION_TYPE, situation.pick(self.rng))
                      for _ in range(1 if self.rng.random() < 0.7 else 2)}
            types += [(plan.case.pk, item.pk) for item in chosen if item is not None]
            staff += [(plan.case.pk, uid) for uid in plan.staff]
        copy_rows(through_types, ("case_id", "picklistitem_id"), types)
        self.counts["assigned_staff"] = copy_rows(through_staff, ("case_id", "user_id"), staff)
        self.case_events()

    def siblings(self, plans: list[Plan]) -> None:
        """About 4% of minors have a brother or sister followed before them: same town, same
        referents (a family has one referent), parents shared, cases linked."""
        last_minor: dict[str, int] = {}
        for index, plan in enumerate(plans):
            if plan.age >= 18:
                continue
            other = last_minor.get(plan.case.department)
            if other is not None and self.rng.random() < 0.04:
                first = plans[other]
                plan.sibling = other
                plan.case.town = first.case.town
                plan.staff = list(first.staff)
            last_minor[plan.case.department] = index

    def codes(self, plans: list[Plan]) -> None:
        """Number the cases in order of opening, taking the numbers from the yearly counter
        atomically (as case_code_next does, by blocks)."""
        per_year: dict[int, list[Case]] = defaultdict(list)
        for plan in plans:
            per_year[plan.case.opened_on.year].append(plan.case)
        with connection.cursor() as cursor:
            for year, cases in sorted(per_year.items()):
                cursor.execute(
                    "INSERT INTO tracking_casecodecounter (year, last) VALUES (%s, %s) "
                    "ON CONFLICT (year) DO UPDATE SET last = tracking_casecodecounter.last "
                    "+ EXCLUDED.last RETURNING last",
                    [year, len(cases)],
                )
                (last,) = cursor.fetchone()
                for number, case in enumerate(cases, start=last - len(cases) + 1):
                    case.code = f"{year}-{number:04d}"

    def case_events(self) -> None:
        events, links = [], []
        for plan in self.plans:
            case = plan.case
            events.append(CaseEvent(case_id=case.pk, at=case.created_at, actor_id=plan.staff[0],
                                    kind="opened", detail={"via": "form"}))
            if case.closed_on:
                events.append(CaseEvent(
                    case_id=case.pk, at=self.at(case.closed_on, 17 * 60), actor_id=plan.staff[0],
                    kind="closed",
                    detail={"reason": case.closing_reason.code if case.closing_reason else ""},
                ))
            if plan.sibling is not None:
                links.append(CaseLink(from_case_id=case.pk,
                                      to_case_id=self.plans[plan.sibling].case.pk,
                                      note="Fratrie", created_at=case.created_at))
        self.counts["case_events"] = bulk(CaseEvent, events)
        self.counts["case_links"] = bulk(CaseLink, links)

    # --- consents, contacts

    def make_consents(self) -> None:
        rng = self.rng
        rows = []
        for plan in self.plans:
            if rng.random() >= 0.93:
                continue
            case = plan.case
            given_by = (ConsentGiver.PARENT if plan.age < 15 or (plan.age < 18 and rng.random()
                                                                < 0.5)
                        else ConsentGiver.YOUNG_PERSON)
            groups = (case.programme is not None and case.programme.code == "exchange_groups"
                      ) or rng.random() < 0.3
            given_on = self.day_between(case.opened_on, min(case.opened_on + timedelta(days=7),
                                                            plan.end))
            rows.append(Consent(
                case_id=case.pk, given_by=given_by, given_on=given_on, follow_up=True,
                exchange_groups=groups, network_statistics=rng.random() < 0.88,
                recorded_by_id=plan.staff[0], recorded_at=self.at(given_on, 16 * 60),
            ))
            plan.groups_from = given_on if groups else None
            if not groups and plan.age >= 11 and rng.random() < 0.08 and plan.end > given_on:
                # Later agrees to join a group: a newer row is in force.
                later = self.day_between(given_on + timedelta(days=1), plan.end)
                rows.append(Consent(
                    case_id=case.pk, given_by=given_by, given_on=later, follow_up=True,
                    exchange_groups=True, network_statistics=rows[-1].network_statistics,
                    recorded_by_id=plan.staff[0], recorded_at=self.at(later, 16 * 60),
                ))
                plan.groups_from = later
        self.counts["consents"] = bulk(Consent, rows)

    def make_contacts(self) -> None:
        rng = self.rng
        contacts: list[Contact] = []
        owners: list[tuple[int, str]] = []  # (plan index or -1 - partner index, relationship)
        for index, plan in enumerate(self.plans):
            if plan.sibling is not None or rng.random() >= (0.8 if plan.age < 18 else 0.3):
                continue
            surname = rng.choice(SURNAMES)
            parents = [("mère", MOTHERS), ("père", FATHERS)]
            rng.shuffle(parents)
            for relationship, names in parents[:1 if rng.random() < 0.7 else 2]:
                first = rng.choice(names)
                contacts.append(Contact(
                    kind=ContactKind.PARENT, first_name=first, last_name=surname,
                    phone=self.phone() if rng.random() < 0.9 else "",
                    email=(f"{ascii_only(first)}.{ascii_only(surname)}"
                           f"{rng.randint(1, 99)}@mail.example"
                           if rng.random() < 0.6 else ""),
                    created_at=plan.case.created_at,
                ))
                owners.append((index, relationship))
        school_partners = [p for p in self.partners if p.kind.code in SCHOOL_KINDS]
        for p_index, partner in enumerate(school_partners):
            for relationship, gender in rng.sample(SCHOOL_STAFF, k=rng.randint(1, 2)):
                contacts.append(Contact(
                    kind=ContactKind.SCHOOL,
                    first_name=rng.choice(MOTHERS if gender == "f" else FATHERS),
                    last_name=rng.choice(SURNAMES), phone=self.phone(), partner=partner,
                    email="", created_at=partner.created_at,
                ))
                owners.append((-1 - p_index, relationship))
        self.counts["contacts"] = bulk(Contact, contacts)
        school_staff: dict[int, list[tuple[int, str]]] = defaultdict(list)
        parent_of: dict[int, str] = {}
        for contact, (owner, relationship) in zip(contacts, owners, strict=True):
            if owner >= 0:
                self.plans[owner].parents.append(contact.pk)
                parent_of[contact.pk] = relationship
            else:
                partner = school_partners[-1 - owner]
                school_staff[partner.pk].append((contact.pk, relationship))
        self.link_contacts(school_staff, parent_of)

    def link_contacts(self, school_staff: dict[int, list[tuple[int, str]]],
                      parent_of: dict[int, str]) -> None:
        """Parents to their children's cases (brothers and sisters share them), and a
        member of the referring school's staff to some pupils' cases."""
        rng = self.rng
        rows = []
        for plan in self.plans:
            if plan.sibling is not None:
                plan.parents = list(self.plans[plan.sibling].parents)
            rows += [(plan.case.pk, cid, parent_of[cid]) for cid in plan.parents]
            partner_id = plan.case.referring_partner_id
            if partner_id in school_staff and rng.random() < 0.35:
                cid, relationship = rng.choice(school_staff[partner_id])
                plan.school_contacts = [cid]
                rows.append((plan.case.pk, cid, relationship))
        self.counts["case_contacts"] = copy_rows(CaseContact,
                                             ("case_id", "contact_id", "relationship"), rows)

    # --- interactions
