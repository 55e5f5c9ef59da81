"""Pages of drop-in hours (association hosts): `/permanences/` a day of slots (a
psychologist's own; admins, coordinators and listeners any psychologist's), booking,
holding, no-shows and cancelling from it; `/permanences/horaires/` recurring hours and
the public booking setting (admins); `/rendez-vous` the public booking page (anonymous
visitors, only while the admins keep it open; the same rate limit and honeypot as
/signaler). Everyone else: 404."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from relier_platform.errors import ApplicationError, ErrorCode
from tenants.accounts import ratelimit
from tracking.access import actor_of, admin_of, client_ip
from tracking.dropin import forms, selectors, services
from tracking.forms import add_error, as_date, as_int
from tracking.models import Case
from tracking.permissions import Actor, Capability, case_visible_q

# The public booking page: the referral form's kind of limit, counted apart.
PUBLIC_BOOKING = ratelimit.Limit("dropin-booking", count=10, window=60 * 60)


def _member(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not selectors.can_use(actor):
        raise Http404
    return actor


def _case(actor: Actor, code: str) -> Case | None:
    """The case of that code, if the actor may open it; None for an empty code."""
    code = (code or "").strip()
    if not code:
        return None
    case = Case.objects.filter(case_visible_q(actor), code=code).first()
    if case is None:
        raise ApplicationError(_("Aucun dossier %(code)s parmi ceux que vous pouvez ouvrir.")
                               % {"code": code[:20]}, code=ErrorCode.NOT_FOUND,
                               field="case")
    return case


def _back(request: HttpRequest, day: date | None = None) -> HttpResponse:
    day = day or as_date(request.POST.get("day")) or timezone.localdate()
    url = f"{reverse('dropin_day')}?jour={day.isoformat()}"
    psychologist = as_int(request.POST.get("psy"))
    if psychologist:
        url += f"&psy={psychologist}"
    return redirect(url)


@require_GET
def dropin_day(request: HttpRequest) -> HttpResponse:
    actor = _member(request)
    day = as_date(request.GET.get("jour")) or timezone.localdate()
    every = selectors.sees_every_day(actor)
    psychologists = selectors.psychologists() if every else [request.user]
    chosen = as_int(request.GET.get("psy")) if every else actor.id
    slots = selectors.slots_between(day, day, psychologist_id=chosen)
    visible = selectors.visible_case_ids(actor, [s.booking.case_id for s in slots
                                                 if s.booking])
    counts = {"booked": 0, "held": 0, "no_show": 0, "free": 0}
    for slot in slots:
        if slot.booking is not None:
            counts[slot.booking.status] = counts.get(slot.booking.status, 0) + 1
        elif not slot.cancelled:
            counts["free"] += 1
    return render(request, "tracking/dropin/day.html", {
        "actor": actor, "day": day, "slots": slots, "visible_cases": visible,
        "psychologists": psychologists, "chosen": chosen, "every": every, "counts": counts,
        "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
        "now": timezone.now(), "configure": selectors.can_configure(actor),
        "settings": selectors.settings_get(),
        # Who records what happened: the slot's psychologist, admins and coordinators.
        "records_all": actor.can(Capability.CASE_VIEW_ALL),
    })


@require_POST
def dropin_book(request: HttpRequest) -> HttpResponse:
    actor = _member(request)
    try:
        booking = services.booking_create(
            actor=actor, slot_key=request.POST.get("slot", "")[:80],
            case=_case(actor, request.POST.get("case", "")[:20]),
            callback=services.Callback(first_name=request.POST.get("first_name", "")[:200],
                                       phone=request.POST.get("phone", "")[:60],
                                       email=request.POST.get("email", "")[:300]))
    except ApplicationError as error:
        messages.error(request, _("Créneau non réservé : %(reason)s")
                       % {"reason": error.message})
        return _back(request)
    messages.success(request, _("Créneau de %(time)s réservé.")
                     % {"time": timezone.localtime(booking.starts_at).strftime("%H:%M")})
    return _back(request, timezone.localtime(booking.starts_at).date())


def _outcome(request: HttpRequest, booking_id: int, action: str) -> HttpResponse:
    actor = _member(request)
    booking = selectors.access_booking(actor, booking_id)
    day = timezone.localtime(booking.starts_at).date()
    try:
        if action == "hold":
            held = services.booking_hold(
                actor=actor, booking=booking,
                case=_case(actor, request.POST.get("case", "")[:20]),
                summary=request.POST.get("summary", "")[:6000])
            if held.interaction_id:
                messages.success(request, _("Permanence tenue : l'échange est ajouté au "
                                            "dossier %(code)s.") % {"code": held.case.code})  # type: ignore[union-attr]
            else:
                messages.success(request, _("Permanence tenue, comptée comme anonyme."))
        elif action == "no_show":
            services.booking_no_show(actor=actor, booking=booking)
            messages.success(request, _("Absence notée."))
        else:
            services.booking_cancel(actor=actor, booking=booking)
            messages.success(request, _("Réservation annulée : le créneau est libre."))
    except ApplicationError as error:
        messages.error(request, error.message)
    return _back(request, day)


@require_POST
def dropin_hold(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _outcome(request, booking_id, "hold")


@require_POST
def dropin_no_show(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _outcome(request, booking_id, "no_show")


@require_POST
def dropin_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    return _outcome(request, booking_id, "cancel")


# --- Recurring hours and settings (admins) ----------------------------------------------

def _schedules_page(request: HttpRequest, *, form: forms.ScheduleForm | None = None,
                    settings_form: forms.SettingsForm | None = None,
                    status: int = 200) -> HttpResponse:
    settings = selectors.settings_get()
    psychologists = selectors.psychologists()
    return render(request, "tracking/dropin/schedules.html", {
        "schedules": selectors.schedule_list(),
        "form": form or forms.ScheduleForm(psychologists=psychologists),
        "settings_form": settings_form or forms.SettingsForm(initial={
            "public_booking": settings.public_booking, "days_ahead": settings.days_ahead}),
        "settings": settings, "today": timezone.localdate(),
        "public_url": reverse("dropin_public"),
    }, status=status)


@require_http_methods(["GET", "POST"])
def dropin_schedules(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    if request.method != "POST":
        return _schedules_page(request)
    form = forms.ScheduleForm(request.POST, psychologists=selectors.psychologists())
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_create(actor=actor, data=services.ScheduleData(
                psychologist_id=data["psychologist"], weekday=data["weekday"],
                starts_at=data["starts_at"], ends_at=data["ends_at"],
                slot_minutes=data["slot_minutes"], mode=data["mode"],
                valid_from=data["valid_from"], valid_until=data.get("valid_until")))
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Permanence ajoutée."))
            return redirect("dropin_schedules")
    return _schedules_page(request, form=form, status=400)


@require_POST
def dropin_settings(request: HttpRequest) -> HttpResponse:
    actor = admin_of(request)
    form = forms.SettingsForm(request.POST)
    if form.is_valid():
        try:
            services.settings_update(actor=actor,
                                     public_booking=form.cleaned_data["public_booking"],
                                     days_ahead=form.cleaned_data["days_ahead"])
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Réglages enregistrés."))
            return redirect("dropin_schedules")
    return _schedules_page(request, settings_form=form, status=400)


@require_POST
def dropin_schedule_end(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = admin_of(request)
    schedule = selectors.access_schedule(actor, schedule_id)
    last_day = as_date(request.POST.get("last_day"))
    try:
        if last_day is None:
            raise ApplicationError(_("Indiquez le dernier jour."),
                                   code=ErrorCode.DATE_ORDER, field="last_day")
        services.schedule_end(actor=actor, schedule=schedule, last_day=last_day)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Permanence terminée après le %(day)s.")
                         % {"day": last_day.strftime("%d/%m/%Y")})
    return redirect("dropin_schedules")


@require_POST
def dropin_occurrence_cancel(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = admin_of(request)
    schedule = selectors.access_schedule(actor, schedule_id)
    day = as_date(request.POST.get("day"))
    try:
        if day is None:
            raise ApplicationError(_("Indiquez le jour à annuler."),
                                   code=ErrorCode.DATE_ORDER, field="day")
        cancelled = services.occurrence_cancel(actor=actor, schedule=schedule, day=day,
                                               reason=request.POST.get("reason", "")[:400])
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Permanence du %(day)s annulée ; réservations annulées "
                                    "avec elle : %(count)s (prévenez les personnes, leurs "
                                    "coordonnées sont dans la journée).")
                         % {"day": day.strftime("%d/%m/%Y"), "count": cancelled})
    return redirect("dropin_schedules")


# --- The public page -------------------------------------------------------------------

def _public_page(request: HttpRequest, form: forms.PublicBookingForm,
                 status: int = 200) -> HttpResponse:
    slots = selectors.public_slots()
    days: dict[date, list[Any]] = {}
    for slot in slots:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return render(request, "tracking/dropin/public.html", {
        "form": form, "days": days, "open": selectors.settings_get().public_booking,
        "chosen": form.data.get("slot", "") if form.is_bound else "",
    }, status=status)


@require_http_methods(["GET", "POST"])
def dropin_public(request: HttpRequest) -> HttpResponse:
    if not selectors.settings_get().public_booking:
        return render(request, "tracking/dropin/public.html", {"open": False}, status=404)
    form = forms.PublicBookingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # As on /signaler: only accepted bookings count, and a robot filling the hidden
        # field is answered as if all went well, with nothing written.
        who = ratelimit.address_key(request)
        if not ratelimit.take(PUBLIC_BOOKING, who):
            return ratelimit.refused(request)
        data = form.cleaned_data
        if data.get("website"):
            return render(request, "tracking/dropin/public_thanks.html", {"booking": None})
        try:
            booking = services.booking_public(
                slot_key=data["slot"], ip_address=client_ip(request),
                callback=services.Callback(first_name=data["first_name"],
                                           phone=data.get("phone") or "",
                                           email=data.get("email") or ""))
        except ApplicationError as error:
            ratelimit.give_back(PUBLIC_BOOKING, who)
            add_error(form, error)
        else:
            return render(request, "tracking/dropin/public_thanks.html",
                          {"booking": booking})
    return _public_page(request, form, status=400 if form.errors else 200)

