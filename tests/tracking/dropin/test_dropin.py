"""Drop-in hours: recurring hours, staff and public bookings, holding a slot into an
exchange, no-shows; bad input refused in French with nothing saved; isolation (another
association, a network coordinator, a volunteer, the read-only role); the callback details
encrypted and blanked by retention and erasure."""

from __future__ import annotations

import html
from datetime import time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from relier_platform.errors import ApplicationError
from tenants.models import Network, User
from tenants.networks.services import network_coordinator_add
from tests.conftest import World, host_client, signed_in
from tests.tracking.dropin.conftest import (
    admin_actor,
    key,
    last_week,
    make_schedule,
    next_week,
    open_public,
)
from tests.tracking.factories import actor, make_case
from tracking.dropin import selectors, services
from tracking.models import AuditLog, Case, DropinBooking, DropinSchedule, Interaction
from tracking.privacy.retention import retention_apply
from tracking.privacy.services import case_anonymise, case_export

pytestmark = pytest.mark.django_db
PUBLIC = "/rendez-vous"
DAY = "/permanences/"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def _bookings(schema: str = "a_acme") -> list[DropinBooking]:
    with schema_context(schema):
        return list(DropinBooking.objects.order_by("pk"))


def _staff_book(world: World, schedule: DropinSchedule, day: Any, at: str = "10:00",
                **fields: Any) -> DropinBooking:
    with schema_context(world.acme.schema_name):
        return services.booking_create(actor=admin_actor(world.acme_members["admin"]),
                                       slot_key=key(schedule, day, at), **fields)


# --- Recurring hours -------------------------------------------------------------------

def test_recurring_hours_make_slots_and_a_cancelled_day_has_none_bookable(
        world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    with schema_context("a_acme"):
        slots = selectors.slots_between(next_week(), next_week())
        assert len(slots) == 47  # 00:00 to 23:30 in slots of 30 minutes
        assert (timezone.localtime(slots[0].starts_at).time(),
                timezone.localtime(slots[-1].ends_at).time()) == (time(0, 0), time(23, 30))
        assert selectors.slots_between(next_week() + timedelta(days=1),
                                       next_week() + timedelta(days=1)) == []
        services.occurrence_cancel(actor=admin_actor(admin), schedule=schedule,
                                   day=next_week(), reason="Formation")
        assert all(s.cancelled for s in selectors.slots_between(next_week(), next_week()))
        with pytest.raises(ApplicationError, match="annulée ce jour-là"):
            services.booking_create(actor=admin_actor(admin), slot_key=key(schedule,
                                                                           next_week()))
    assert _bookings() == []


@pytest.mark.parametrize(("form", "message"), [
    ({"starts_at": "12:00", "ends_at": "10:00"}, "L'heure de fin doit suivre l'heure de début."),
    ({"slot_minutes": "5"}, "Un créneau dure de 10 à 240 minutes."),
    ({"starts_at": "10:00", "ends_at": "10:20"}, "La plage horaire est plus courte qu'un créneau."),
    ({"valid_until": "2020-01-01"}, "La date de fin ne peut pas précéder la date de début."),
    ({"mode": "pigeon"}, "Sélectionnez un choix valide."),
    ({"psychologist": "coordinator"}, "Sélectionnez un choix valide."),
    ({"starts_at": "ten"}, "Saisissez une heure valide."),
])
def test_bad_recurring_hours_are_refused_in_french_and_nothing_is_saved(
        world: World, form: dict[str, str], message: str) -> None:
    psy = world.acme_members["psychologist"]
    data = {"psychologist": str(psy.pk), "weekday": "1", "starts_at": "14:00",
            "ends_at": "17:00", "slot_minutes": "30", "mode": "phone",
            "valid_from": "2026-01-05", "valid_until": ""}
    data.update(form)
    if data["psychologist"] == "coordinator":
        data["psychologist"] = str(world.acme_members["coordinator"].pk)
    response = signed_in(world.acme_members["admin"], world.acme).post(
        "/permanences/horaires/", data)
    assert response.status_code == 400
    assert message in text(response)
    with schema_context("a_acme"):
        assert DropinSchedule.objects.count() == 0
        assert not AuditLog.objects.filter(action__startswith="dropin.").exists()


def test_overlapping_hours_of_one_psychologist_are_refused(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    make_schedule(world.acme, admin, psy)
    with pytest.raises(ApplicationError, match="chevauchent"):
        make_schedule(world.acme, admin, psy, mode="phone")
    with schema_context("a_acme"):
        assert DropinSchedule.objects.count() == 1


# --- Staff bookings, holding, no-shows -----------------------------------------------------

def test_a_held_slot_becomes_an_exchange_on_the_case_in_one_click(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin, staff=[psy])
    schedule = make_schedule(world.acme, admin, psy, mode="phone")
    with schema_context("a_acme"):
        # Booked in the past (as if last week): written directly, the service refuses it.
        start = selectors.moment(last_week(), time(10, 0))
        booking = DropinBooking.objects.create(
            schedule=schedule, starts_at=start, ends_at=start + timedelta(minutes=30),
            mode="phone", source="staff", case=case, booked_by_id=admin.pk)
    client = signed_in(psy, world.acme)
    day = client.get(f"{DAY}?jour={last_week().isoformat()}")
    assert day.status_code == 200
    assert case.code in text(day)
    answer = client.post(f"{DAY}reservations/{booking.pk}/tenue/",
                         {"summary": "Point sur la semaine.", "day": last_week().isoformat()},
                         follow=True)
    assert f"l'échange est ajouté au dossier {case.code}" in text(answer)
    with schema_context("a_acme"):
        booking.refresh_from_db()
        interaction = Interaction.objects.get(dropin_booking=booking)
        assert (booking.status, booking.outcome_by_id) == ("held", psy.pk)
        assert (interaction.kind.code, interaction.channel, interaction.occurred_at,
                interaction.duration_minutes, interaction.staff_id, interaction.summary) == (
            "drop_in", "phone", start, 30, psy.pk, "Point sur la semaine.")
        assert list(interaction.cases.all()) == [case]
        assert AuditLog.objects.filter(action="dropin.hold", object_id=str(booking.pk)).exists()
    again = client.post(f"{DAY}reservations/{booking.pk}/absence/", follow=True)
    assert "Ce créneau a déjà été traité (Tenu)." in text(again)


def _past_booking(world: World, schedule: DropinSchedule, at: time = time(9, 0),
                  **fields: Any) -> DropinBooking:
    with schema_context("a_acme"):
        start = selectors.moment(last_week(), at)
        return DropinBooking.objects.create(
            schedule=schedule, starts_at=start, ends_at=start + timedelta(minutes=30),
            mode=schedule.mode, source="public", **fields)


def test_a_booking_without_case_is_held_on_a_case_chosen_then_or_counted_anonymous(
        world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin, staff=[psy])
    other = make_case(world.acme, admin)  # not the psychologist's
    schedule = make_schedule(world.acme, admin, psy)
    first = _past_booking(world, schedule, first_name="Lou", phone="06 12 34 56 78")
    second = _past_booking(world, schedule, at=time(9, 30), first_name="Sam")
    client = signed_in(psy, world.acme)
    refused = client.post(f"{DAY}reservations/{first.pk}/tenue/", {"case": other.code},
                          follow=True)
    assert f"Aucun dossier {other.code} parmi ceux que vous pouvez ouvrir." in \
        text(refused)
    client.post(f"{DAY}reservations/{first.pk}/tenue/", {"case": case.code})
    anonymous = client.post(f"{DAY}reservations/{second.pk}/tenue/", {"case": ""},
                            follow=True)
    assert "Permanence tenue, comptée comme anonyme." in text(anonymous)
    with schema_context("a_acme"):
        first.refresh_from_db()
        second.refresh_from_db()
        assert (first.status, first.case_id, first.interaction is not None) == (
            "held", case.pk, True)
        assert (second.status, second.case_id, second.interaction_id) == ("held", None, None)
        assert Interaction.objects.count() == 1


def test_no_shows_are_marked_and_a_slot_not_yet_started_cannot_be_held(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    past = _past_booking(world, schedule, first_name="Nour")
    ahead = _staff_book(world, schedule, next_week())
    client = signed_in(psy, world.acme)
    client.post(f"{DAY}reservations/{past.pk}/absence/")
    early = client.post(f"{DAY}reservations/{ahead.pk}/tenue/", follow=True)
    assert "Ce créneau n'a pas encore commencé." in text(early)
    with schema_context("a_acme"):
        past.refresh_from_db()
        ahead.refresh_from_db()
        assert (past.status, ahead.status) == ("no_show", "booked")
        assert Interaction.objects.count() == 0


def test_staff_book_for_a_case_or_anonymously_and_a_taken_slot_is_refused(
        world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    listener = world.acme_members["listener"]
    case = make_case(world.acme, admin, staff=[listener])
    schedule = make_schedule(world.acme, admin, psy)
    client = signed_in(listener, world.acme)
    booked = client.post(f"{DAY}reserver/", {"slot": key(schedule, next_week()),
                                             "case": case.code}, follow=True)
    assert "Créneau de 10:00 réservé." in text(booked)
    client.post(f"{DAY}reserver/", {"slot": key(schedule, next_week(), "10:30")})
    taken = client.post(f"{DAY}reserver/", {"slot": key(schedule, next_week()),
                                            "first_name": "Eli"}, follow=True)
    assert "Ce créneau vient d'être réservé par quelqu'un d'autre" in text(taken)
    bad = client.post(f"{DAY}reserver/", {"slot": key(schedule, next_week(), "10:10")},
                      follow=True)
    assert "Ce créneau n'existe pas ou plus : choisissez-en un autre." in text(bad)
    first, second = _bookings()
    assert (first.case_id, first.booked_by_id, second.case_id, second.first_name) == (
        case.pk, listener.pk, None, "")
    with schema_context("a_acme"):
        slots = selectors.slots_of_day(psy, next_week())
        assert [b.pk for b in slots] == [first.pk, second.pk]
        assert selectors.slots_of_day(listener, next_week()) == []


# --- The public page -------------------------------------------------------------------

def test_the_public_page_is_closed_until_an_admin_opens_it(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    client = host_client(world.acme)
    closed = client.get(PUBLIC)
    assert closed.status_code == 404
    assert "La réservation en ligne n'est pas ouverte." in text(closed)
    refused = client.post(PUBLIC, {"slot": key(schedule, next_week()), "first_name": "Lou",
                                   "phone": "0612345678"})
    assert refused.status_code == 404
    assert _bookings() == []


def test_a_family_books_a_slot_with_a_nickname_and_a_phone(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy, mode="on_site")
    open_public(world.acme, admin)
    client = host_client(world.acme)
    page = client.get(PUBLIC)
    assert page.status_code == 200
    assert key(schedule, next_week()) in text(page)
    done = client.post(PUBLIC, {"slot": key(schedule, next_week()), "first_name": "Lou",
                                "phone": "06 12 34 56 78", "email": ""})
    assert done.status_code == 200
    assert "Votre rendez-vous est pris" in text(done)
    (booking,) = _bookings()
    assert (booking.source, booking.first_name, booking.phone, booking.email, booking.mode,
            booking.case_id, booking.booked_by_id) == (
        "public", "Lou", "06 12 34 56 78", "", "on_site", None, None)
    with schema_context("a_acme"), connection.cursor() as cursor:
        cursor.execute("SELECT first_name, phone FROM tracking_dropinbooking")
        raw = cursor.fetchone()
        assert "Lou" not in raw[0]
        assert "06 12" not in raw[1]
        entry = AuditLog.objects.get(action="dropin.book_public")
        assert "Lou" not in str(entry.detail)
        assert "06" not in str(entry.detail)
    assert key(schedule, next_week()) not in text(client.get(PUBLIC))


@pytest.mark.parametrize(("form", "message"), [
    ({"first_name": ""}, "Indiquez un prénom ou un pseudo."),
    ({"phone": "", "email": ""}, "Indiquez un téléphone ou un e-mail pour être rappelé."),
    ({"phone": "", "email": "pas-une-adresse"}, "Cette adresse e-mail n'est pas valide."),
    ({"phone": "appelez-moi"}, "Ce numéro de téléphone n'est pas valide."),
    ({"slot": ""}, "Choisissez un créneau."),
    ({"slot": "n'importe quoi"}, "Choisissez un créneau dans la liste."),
    ({"slot": "past"}, "Ce créneau n'est plus proposé : choisissez-en un autre."),
    ({"slot": "taken"}, "Ce créneau vient d'être réservé par quelqu'un d'autre"),
])
def test_bad_public_bookings_are_refused_in_french_and_nothing_is_saved(
        world: World, form: dict[str, str], message: str) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    open_public(world.acme, admin)
    taken = _staff_book(world, schedule, next_week())
    data = {"slot": key(schedule, next_week(), "11:00"), "first_name": "Lou",
            "phone": "0612345678", "email": ""}
    data.update(form)
    if data["slot"] == "past":
        data["slot"] = key(schedule, last_week())
    if data["slot"] == "taken":
        data["slot"] = key(schedule, next_week())
    response = host_client(world.acme).post(PUBLIC, data)
    assert response.status_code == 400
    assert message in text(response)
    assert [b.pk for b in _bookings()] == [taken.pk]


def test_the_public_page_has_the_referral_forms_honeypot_and_rate_limit(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    open_public(world.acme, admin)
    client = host_client(world.acme)
    robot = client.post(PUBLIC, {"slot": key(schedule, next_week()), "first_name": "Bot",
                                 "phone": "0612345678", "website": "http://spam.example"})
    assert robot.status_code == 200
    assert _bookings() == []
    for n in range(9):  # the robot used one of ten
        client.post(PUBLIC, {"slot": key(schedule, next_week(), f"{10 + n}:00"),
                             "first_name": f"P{n}", "phone": "0612345678"})
    assert len(_bookings()) == 9
    refused = client.post(PUBLIC, {"slot": key(schedule, next_week(), "20:00"),
                                   "first_name": "Dix", "phone": "0612345678"})
    assert refused.status_code == 429
    assert len(_bookings()) == 9


# --- Isolation -------------------------------------------------------------------------

@pytest.fixture
def coordinator_of_a_network(world: World) -> User:
    user = User.objects.create_user("coord-permanences@reseau.example", password="x" * 12)
    network = Network.objects.create(name="Réseau des permanences")
    network_coordinator_add(actor=None, network=network, user=user)
    return user


@pytest.mark.parametrize("who", ["volunteer", "read_only", "beta_admin",
                                 "network_coordinator", "anonymous", "other_psychologist"])
def test_nobody_outside_the_team_reaches_the_drop_in_hours(
        world: World, coordinator_of_a_network: User, who: str) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin, staff=[psy])
    schedule = make_schedule(world.acme, admin, psy)
    past = _past_booking(world, schedule, first_name="Lou", phone="0699887766", case=case)
    people = {**world.acme_members, "beta_admin": world.beta_admin,
              "network_coordinator": coordinator_of_a_network}
    if who == "other_psychologist":
        people[who] = User.objects.create_user("psy2@acme.example", password="x" * 12)
        from tenants.tenancy.services import membership_create
        membership_create(actor=None, association=world.acme, user=people[who],
                          role="psychologist")
    client = host_client(world.acme) if who == "anonymous" else signed_in(people[who],
                                                                         world.acme)
    base = f"{DAY}reservations/{past.pk}/"
    answers = [
        client.post(f"{DAY}reserver/", {"slot": key(schedule, next_week())}),
        client.post(base + "tenue/"), client.post(base + "absence/"),
        client.post(base + "annuler/"),
        client.get("/permanences/horaires/"),
        client.post("/permanences/horaires/reglages/", {"public_booking": "on",
                                                       "days_ahead": "14"}),
        client.post(f"/permanences/horaires/{schedule.pk}/terminer/",
                    {"last_day": "2026-01-01"}),
    ]
    day = client.get(f"{DAY}?jour={last_week().isoformat()}&psy={psy.pk}")
    expected = {"anonymous": 302, "beta_admin": 403, "network_coordinator": 403}.get(who, 404)
    codes = [a.status_code for a in answers]
    if who == "other_psychologist":
        # Their own (empty) day; another psychologist's bookings answer 404 like missing.
        assert day.status_code == 200
        assert codes[0] == 302  # refused booking of someone else's slot, with a message
        assert codes[1:] == [404] * 6
    else:
        assert day.status_code == expected
        assert codes == [expected] * len(answers)
    for answer in [*answers, day]:
        assert b"0699887766" not in answer.content
        assert case.code.encode() not in answer.content
    (unchanged,) = _bookings()
    assert unchanged.status == "booked"
    with schema_context("a_acme"):
        schedule.refresh_from_db()
        assert schedule.valid_until is None
        assert not selectors.settings_get().public_booking


def test_another_associations_host_knows_nothing_of_these_slots(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    schedule = make_schedule(world.acme, admin, psy)
    open_public(world.acme, admin)
    open_public(world.beta, world.beta_admin)
    beta_public = host_client(world.beta)
    page = beta_public.get(PUBLIC)
    assert key(schedule, next_week()) not in text(page)
    refused = beta_public.post(PUBLIC, {"slot": key(schedule, next_week()),
                                        "first_name": "Lou", "phone": "0612345678"})
    assert refused.status_code == 400
    assert _bookings() == []
    assert _bookings("a_beta") == []
    beta_admin = signed_in(world.beta_admin, world.beta)
    assert beta_admin.post(f"{DAY}reserver/", {"slot": key(schedule, next_week())}
                           ).status_code == 302
    assert _bookings() == []
    assert _bookings("a_beta") == []


# --- Personal data ---------------------------------------------------------------------

def test_callback_details_are_blanked_by_retention_and_by_erasure(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin)
    schedule = make_schedule(world.acme, admin, psy)
    old = _past_booking(world, schedule, first_name="Lou", phone="0612345678")
    recent = _past_booking(world, schedule, at=time(9, 30), first_name="Sam",
                           email="sam@example.org")
    linked = _past_booking(world, schedule, at=time(10, 0), first_name="Ana",
                           phone="0611111111", case=case)
    with schema_context("a_acme"):
        exported = case_export(actor=actor(admin, "admin"), case=case,
                               association_name="Acme")["permanences"]
        assert [(b["prenom_ou_pseudo"], b["telephone"], b["etat"]) for b in exported] == [
            ("Ana", "0611111111", "Réservé")]
        DropinBooking.objects.filter(pk=old.pk).update(
            starts_at=old.starts_at - timedelta(days=100),
            ends_at=old.ends_at - timedelta(days=100))
        retention_apply()
        retention_apply()  # idempotent
        assert AuditLog.objects.filter(action="retention.dropin_callbacks").count() == 1
        case_anonymise(actor=actor(admin, "admin"), case=case, confirmation=case.code,
                       confirmation_again=case.code)
    blanked = {b.pk: (b.first_name, b.phone, b.email) for b in _bookings()}
    assert blanked == {old.pk: ("", "", ""), recent.pk: ("Sam", "", "sam@example.org"),
                       linked.pk: ("", "", "")}


def test_a_listener_books_but_only_the_psychologist_or_coordination_records_the_outcome(
        world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    listener = world.acme_members["listener"]
    schedule = make_schedule(world.acme, admin, psy)
    past = _past_booking(world, schedule, first_name="Lou", phone="0612345678")
    client = signed_in(listener, world.acme)
    day = text(client.get(f"{DAY}?jour={last_week().isoformat()}"))
    assert "Lou" in day
    assert f"reservations/{past.pk}/tenue/" not in day
    refused = client.post(f"{DAY}reservations/{past.pk}/tenue/", follow=True)
    assert "Action non autorisée." in text(refused)
    with schema_context("a_acme"):
        past.refresh_from_db()
        assert past.status == "booked"
        assert Interaction.objects.count() == 0


def test_the_day_view_and_the_hours_speak_english(world: World,
                                                   english_catalogue: None) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    make_schedule(world.acme, admin, psy)
    client = signed_in(admin, world.acme)
    day = text(client.get(f"{DAY}?jour={next_week().isoformat()}", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Drop-in hours of" in day
    assert "Book this slot" in day
    hours = text(client.get("/permanences/horaires/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Online booking by families" in hours
    assert "Add recurring drop-in hours" in hours


def test_the_case_page_lists_its_slots_to_come_and_only_its_own(world: World) -> None:
    admin, psy = world.acme_members["admin"], world.acme_members["psychologist"]
    case = make_case(world.acme, admin)
    other = make_case(world.acme, admin)
    schedule = make_schedule(world.acme, admin, psy)
    with schema_context("a_acme"):
        case, other = (Case.objects.get(pk=case.pk), Case.objects.get(pk=other.pk))
    _staff_book(world, schedule, next_week(), "10:00", case=case)
    _staff_book(world, schedule, next_week(), "10:30", case=other)
    cancelled = _staff_book(world, schedule, next_week(), "11:00", case=case)
    with schema_context("a_acme"):
        services.booking_cancel(actor=admin_actor(admin), booking=cancelled)
    _past_booking(world, schedule, case=case)  # over: not "to come"
    with schema_context("a_acme"):
        upcoming = selectors.case_upcoming(case)
    assert [timezone.localtime(b.starts_at).strftime("%H:%M") for b in upcoming] == ["10:00"]
    client = signed_in(admin, world.acme)
    page = text(client.get(f"/dossiers/{case.pk}/"))
    section = page[page.index("Permanences à venir"):]
    section = section[:section.index("</section>")]
    assert "10:00" in section
    assert "10:30" not in section
    assert "11:00" not in section
    assert "09:00" not in section
    assert str(psy) in section
    other_page = text(client.get(f"/dossiers/{other.pk}/"))
    assert "10:00" not in other_page[other_page.index("Permanences à venir"):].split(
        "</section>")[0]
    # Another association's member: the case page is not theirs (404, nothing shown).
    beta = signed_in(world.beta_admin, world.beta).get(f"/dossiers/{case.pk}/")
    assert beta.status_code == 404
    assert "Permanences à venir" not in text(beta)
