"""Pages of cases (association hosts; the association's schema is active): the list, a case,
what is added to it, the home page and the public referral form."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import fields
from datetime import date
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from relier_platform.errors import ApplicationError
from relier_platform.pagination import BoundedPaginator
from relier_platform.prepared import KeyedRows
from relier_platform.tenancy import current_schema
from tenants.accounts import ratelimit
from tracking import forms
from tracking.access import actor_of, client_ip, requires
from tracking.audit.services import audit_record
from tracking.cases import selectors
from tracking.cases import services as case_services
from tracking.cases.referrals import ReferralData, referral_submit
from tracking.dropin import selectors as dropin_selectors
from tracking.employment.forms import case_section as employment_section
from tracking.fields import services as custom_fields
from tracking.forms import add_error, as_date, as_int
from tracking.groups import selectors as groups_selectors
from tracking.interactions import selectors as interactions_selectors
from tracking.lists import selectors as list_selectors
from tracking.models import CustomFieldTarget, PicklistKind
from tracking.permissions import Actor, Capability
from tracking.privacy import services as privacy
from tracking.school_year import AGE_BRACKETS
from tracking.workflows import selectors as workflows_selectors
from tracking.workflows import services as workflows

PAGE_SIZE = 50
# The case list counts its matches up to this many; past it, "more than 2,000 cases" and
# "Page N" without a total: the count no longer grows with the association
# (relier_platform.pagination).
COUNT_CAP = 2000






def filters_from(params: Any) -> selectors.CaseFilters:
    """Case-list filters from GET parameters; malformed values are ignored."""
    return selectors.CaseFilters(
        q=str(params.get("q", ""))[:100],
        status=params.get("status") if params.get("status") in ("open", "closed", "all")
        else "open",
        mine=params.get("mine") == "1",
        programme=as_int(params.get("programme")),
        detection_source=as_int(params.get("detection_source")),
        partner=as_int(params.get("partner")),
        age_bracket=str(params.get("age_bracket", ""))[:10],
        opened_from=as_date(params.get("opened_from")),
        opened_to=as_date(params.get("opened_to")),
        sort=params.get("sort") if params.get("sort") in selectors.SORTS else "recent",
        stage=as_int(params.get("stage")),
        overdue=params.get("overdue") == "1",
        custom={str(k): str(params.get(k, ""))[:100] for k in list(params)[:200]
                if str(k).startswith(custom_fields.PREFIX)},
    )


def custom_filter_widgets(filters: selectors.CaseFilters) -> list[dict[str, Any]]:
    """What the case list shows to filter on each active custom field of cases."""
    widgets = []
    for each in custom_fields.field_list_every_request(CustomFieldTarget.CASE):
        name = custom_fields.PREFIX + each.key
        widgets.append({
            "field": each, "name": name, "value": filters.custom.get(name, ""),
            "min": filters.custom.get(name + "_min", ""),
            "max": filters.custom.get(name + "_max", ""),
            "choices": [(c["code"], c["label"]) for c in each.choices],
            "options": _text_options(
                [(c["code"], c["label"]) for c in each.choices], filters.custom.get(name, "")),
        })
    return widgets


# --- Cases ---------------------------------------------------------------------------

def case_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not (actor.can(Capability.CASE_VIEW_ALL) or actor.can(Capability.CASE_VIEW_ASSIGNED)
            or actor.role == "read_only"):
        raise Http404
    filters = filters_from(request.GET)
    page = BoundedPaginator(_rows_of(actor, filters), PAGE_SIZE,
                            cap=COUNT_CAP).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    items = list_selectors.picklist_filter_options()
    return render(request, "tracking/case_list.html", {
        "page": page, "rows": _case_rows(page), "filters": filters,
        "query": query.urlencode(),
        "programme_options": _options("programme", items[PicklistKind.PROGRAMME],
                                      filters.programme),
        "source_options": _options("source", items[PicklistKind.DETECTION_SOURCE],
                                   filters.detection_source),
        "partner_options": _options("partner", interactions_selectors.partner_options(),
                                    filters.partner),
        "brackets": [f"{low}-{high}" for low, high in AGE_BRACKETS],
        "bracket_options": _text_options(
            [(f"{low}-{high}", f"{low}-{high} {_('ans')}") for low, high in AGE_BRACKETS],
            filters.age_bracket),
        "status_options": _text_options(
            [("open", _("Ouverts")), ("closed", _("Clôturés")), ("all", _("Tous"))],
            filters.status, between="\n        "),
        "sort_options": _text_options(
            [("recent", _("Plus récents")), ("oldest", _("Plus anciens")),
             ("code", _("Numéro")), ("town", _("Commune"))],
            filters.sort, between="\n        "),
        "stage_options": _options("stage", workflows_selectors.stage_options(),
                                  filters.stage),
        "custom_filters": custom_filter_widgets(filters),
        "can_create": actor.can(Capability.CASE_CREATE),
        "can_export": actor.can(Capability.EXPORT),
    })




# SQL of the case list's count and pages by (schema, who asks, filters, day, slice)
# (relier_platform.prepared.KeyedRows): a list asked again is neither built nor compiled.
_LIST_SQL: dict[Any, Any] = {}


def _rows_of(actor: Actor, filters: selectors.CaseFilters) -> Any:
    """The rows of the case list (selectors.case_list_rows of selectors.case_list). Their SQL
    depends only on the role (its capabilities), the person (their assignments and grants
    are subqueries), the filters and, for an age bracket, today's year: all in the key.
    Custom-field filters read the fields' definitions to build the SQL: those lists are
    built as querysets every time."""
    def build() -> Any:
        return selectors.case_list_rows(selectors.case_list(actor=actor, filters=filters))

    if filters.custom:
        return build()
    values = tuple((f.name, getattr(filters, f.name)) for f in fields(filters)
                   if f.name != "custom")  # empty here
    key = (current_schema(), actor.role, actor.id, values,
           timezone.localdate() if filters.age_bracket else None)
    return KeyedRows(_LIST_SQL, key, build)


# A case id no real case has, replaced by each row's in the URL of its page.
_ANY_ID = 987654321987
# Django's date format characters of numbers only, as str.format fields (django.utils.dateformat:
# d, j: day with or without a leading zero; m, n: month; Y: year on 4 digits; y: on 2).
_DATE_FIELDS = {"d": "{d:02d}", "j": "{d}", "m": "{m:02d}", "n": "{m}", "Y": "{Y:04d}",
                "y": "{y:02d}"}


def _short_dates() -> Callable[[date], str]:
    """What `date_format(day, "SHORT_DATE_FORMAT")` gives, as a function: a format of day,
    month and year numbers and separators (fr "d/m/Y", en "m/d/Y") is turned into a
    str.format once per request, 50 times cheaper than Django's formatter per date; any
    other format is Django's."""
    fmt = str(get_format("SHORT_DATE_FORMAT"))
    if not all(c in _DATE_FIELDS or not (c.isalpha() or c == "\\") for c in fmt):
        return lambda day: date_format(day, "SHORT_DATE_FORMAT")
    pattern = "".join(_DATE_FIELDS.get(c, c.replace("{", "{{").replace("}", "}}"))
                      for c in fmt)
    return lambda day: pattern.format(d=day.day, m=day.month, Y=day.year, y=day.year % 100)


def _case_rows(page: Any) -> SafeString:
    """The case list's table rows (selectors.case_list_rows), built here rather than by the
    template: 50 rows of a dozen template nodes each were most of the page's Python time
    (bench/RESULTS.md, "3. Request path"). Every text is escaped (html.escape, as Django's
    escape); the date is formatted as the template's `date:"SHORT_DATE_FORMAT"` does."""
    detail = reverse("case_detail", args=[_ANY_ID])
    closed, open_, late = _("Clôturé"), _("Ouvert"), _("en retard")
    short_date = _short_dates()
    out = []
    for case in page:
        town = html.escape(case.town)
        if case.department:
            town += f" ({html.escape(case.department)})"
        stage = html.escape(case.stage_name or (closed if case.closed_on else open_))
        badge = (f'<span class="badge badge-late">{html.escape(late)}</span>'
                 if case.overdue else "")
        out.append(
            f"<tr>\n"
            f'      <td><a href="{detail.replace(str(_ANY_ID), str(int(case.pk)))}">'
            f"{html.escape(case.code)}</a></td>\n"
            f"      <td>{short_date(case.opened_on)}</td>\n"
            f"      <td>{town}</td>\n"
            f"      <td>{html.escape(case.programme_label or '—')}</td>\n"
            f"      <td>{html.escape(case.source_label or '—')}</td>\n"
            f"      <td>{stage}\n        {badge}</td>\n"
            f"    </tr>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped


# (schema, filter) → (the rows, the HTML of their <option>s). The rows are read from the
# database on every request; their HTML is built again whenever they differ from the ones
# it was built from, so it is never stale, and never another association's (the schema is
# in the key).
_OPTIONS: dict[tuple[str, str], tuple[list[tuple[int, str]], str]] = {}
_OPTIONS_KEPT = 500


def _text_options(pairs: list[tuple[Any, Any]], selected: Any, *,
                  between: str = "") -> SafeString:
    """<option>s of a few fixed values, what `{% for %}<option value="{{ v }}"{% if v ==
    selected %} selected{% endif %}>{{ label }}</option>{% endfor %}` gives (`between`: the
    template's text between two of them), without a dozen template nodes per option."""
    return mark_safe(between.join(  # noqa: S308 - every value and label is escaped
        f'<option value="{html.escape(str(value))}"{" selected" if value == selected else ""}>'
        f"{html.escape(str(label))}</option>" for value, label in pairs))


def _options(name: str, rows: list[tuple[int, str]], selected: int | None) -> SafeString:
    """The <option>s of a filter (programmes, sources, partners, stages), built here rather
    than by a template loop: an association has hundreds of partners, and rendering them
    node by node was most of the case list's template time (bench/RESULTS.md, sections 3
    and 7). The same HTML as `<option value="{{ pk }}"{% if selected %} selected{% endif
    %}>{{ label }}</option>`: html.escape is what django.utils.html.escape does."""
    key = (current_schema(), name)
    entry = _OPTIONS.get(key)
    if entry is None or entry[0] != rows:
        if len(_OPTIONS) >= _OPTIONS_KEPT:
            _OPTIONS.clear()
        built = "".join(f'<option value="{int(pk)}">{html.escape(label)}</option>'
                        for pk, label in rows)
        entry = _OPTIONS[key] = (rows, built)
    options = entry[1]
    if selected is not None:
        options = options.replace(f'<option value="{int(selected)}">',
                                  f'<option value="{int(selected)}" selected>', 1)
    return mark_safe(options)  # noqa: S308 - every label is escaped, every value an integer


@requires(Capability.CASE_CREATE)
@require_http_methods(["GET", "POST"])
def case_create(request: HttpRequest) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    form = forms.CaseForm(request.POST or None, association=request.tenant)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            case = case_services.case_create(actor=actor, data=form.case_data())
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Dossier %(code)s ouvert.") % {"code": case.code})
            return redirect("case_detail", case_id=case.pk)
    return render(request, "tracking/case_form.html", {"form": form, "case": None},
                  status=400 if form.errors else 200)


def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id)
    clinical = actor.can(Capability.CLINICAL)
    audit_record(actor=actor, action="case.read", obj=case, ip_address=client_ip(request))
    # One page of the timeline (?chronologie=N), one entry more to know if older ones exist.
    timeline_page = min(max(as_int(request.GET.get("chronologie")) or 1, 1), 10_000)
    size = selectors.TIMELINE_PAGE_SIZE
    timeline = selectors.case_timeline(actor=actor, case=case, limit=size + 1,
                                       offset=(timeline_page - 1) * size)
    timeline_has_older = len(timeline) > size
    timeline = timeline[:size]
    if clinical and any(e.kind == "interaction" and e.obj.clinical_note for e in timeline):
        audit_record(actor=actor, action="clinical.read", obj=case,
                     ip_address=client_ip(request))
    can_edit = selectors.case_can_edit(actor, case)
    # Both targets' fields (archived ones included) in one query.
    every_field = list(custom_fields.field_list_of(
        (CustomFieldTarget.INTERACTION, CustomFieldTarget.CASE), include_archived=True))
    interaction_fields = [f for f in every_field if f.target == CustomFieldTarget.INTERACTION]
    for entry in timeline:
        if entry.kind == "interaction":
            entry.obj.shown_custom = custom_fields.shown_values(interaction_fields,
                                                                entry.obj.custom)
    return render(request, "tracking/case_detail.html", {
        "case": case, "timeline": timeline, "timeline_page": timeline_page,
        "timeline_has_older": timeline_has_older,
        "custom_values": custom_fields.shown_values(
            [f for f in every_field if f.target == CustomFieldTarget.CASE], case.custom),
        "clinical": clinical, "can_edit": can_edit,
        "can_log": actor.can(Capability.INTERACTION_LOG),
        "can_privacy": privacy.can_export(actor),
        # Defaults so that logging an exchange is: open, write, save (three clicks).
        "interaction_form": forms.InteractionForm(clinical=clinical, initial={
            "occurred_at": timezone.localtime().replace(second=0, microsecond=0),
            "channel": "phone",
            "kind": list_selectors.picklist(PicklistKind.INTERACTION_KIND).first(),
        }),
        "impact": selectors.impact_evolution(case),
        "contacts": case.casecontact_set.select_related("contact"),
        "links": case.links_out.select_related("to_case"),
        "close_form": forms.CloseForm(initial={"version": case.version},
                                      auto_id="close_%s"),
        "contact_form": forms.ContactForm(auto_id="contact_%s"),
        "impact_form": forms.ImpactForm(auto_id="impact_%s"),
        "consent": case.consents.first(),
        "consent_form": forms.ConsentForm(auto_id="consent_%s"),
        "can_grant": actor.can(Capability.CASE_GRANT),
        "grant_form": forms.GrantForm(auto_id="grant_%s",
                                      association=request.tenant),  # type: ignore[attr-defined]
        "link_form": forms.LinkForm(auto_id="link_%s"),
        "transitions": workflows.transitions_for(actor, case) if can_edit else [],
        "closing_reasons": list_selectors.picklist(PicklistKind.CLOSING_REASON),
        "overdue": selectors.case_is_overdue(case),
        "age_bracket": case.age_bracket(),
        "employment": employment_section(case, can_edit=can_edit),
        "dropin_upcoming": dropin_selectors.case_upcoming(case),
    })


@require_http_methods(["GET", "POST"])
def case_edit(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    initial = {
        "first_name": case.first_name, "birth_year": case.birth_year, "gender": case.gender,
        "town": case.town, "department": case.department, "role": case.role,
        "programme": case.programme, "detection_source": case.detection_source,
        "referring_partner": case.referring_partner,
        "situation_types": list(case.situation_types.all()),
        "assigned_staff": [u.pk for u in case.assigned_staff.all()],
        "opened_on": case.opened_on,
    }
    form = forms.CaseForm(request.POST or None, initial=initial, case=case,
                          association=request.tenant)  # type: ignore[attr-defined]
    if request.method == "POST" and form.is_valid():
        try:
            case_services.case_update(actor=actor, case=case, data=form.case_data(),
                                      expected_version=as_int(request.POST.get("version")) or 0)
        except ApplicationError as error:
            add_error(form, error)
        else:
            messages.success(request, _("Dossier enregistré."))
            return redirect("case_detail", case_id=case.pk)
    return render(request, "tracking/case_form.html", {"form": form, "case": case},
                  status=400 if form.errors else 200)


@require_POST
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    form = forms.CloseForm(request.POST)
    if form.is_valid():
        try:
            case_services.case_close(
                actor=actor, case=case, closed_on=form.cleaned_data["closed_on"],
                reason=form.cleaned_data["closing_reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Dossier clôturé."))
    else:
        messages.error(request, _("Clôture impossible : vérifiez la date et le motif."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
def impact_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    form = forms.ImpactForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case_services.impact_record(
                actor=actor, case=case, assessed_on=data["assessed_on"], moment=data["moment"],
                scores={k: data[k] for k in ("peers", "family", "school_work", "help",
                                             "confidence")},
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Scores enregistrés."))
    else:
        messages.error(request, _("Scores non enregistrés : chaque score va de 1 à 5."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
def consent_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    form = forms.ConsentForm(request.POST)
    if form.is_valid():
        try:
            case_services.consent_record(actor=actor, case=case, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Consentement enregistré."))
    else:
        messages.error(request, _("Consentement non enregistré : vérifiez la date."))
    return redirect("case_detail", case_id=case.pk)


@requires(Capability.CASE_GRANT)
@require_POST
def grant_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    case = selectors.access_case(actor, case_id)
    form = forms.GrantForm(request.POST, association=request.tenant)  # type: ignore[attr-defined]
    if form.is_valid():
        try:
            case_services.case_grant(actor=actor, case=case, user_id=form.cleaned_data["user"],
                                     can_edit=form.cleaned_data["can_edit"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Accès accordé."))
    else:
        messages.error(request, _("Accès non accordé : choisissez un membre de l'équipe."))
    return redirect("case_detail", case_id=case.pk)


@requires(Capability.CASE_EDIT_ALL)
@require_POST
def link_add(request: HttpRequest, case_id: int) -> HttpResponse:
    actor: Actor = request.actor  # type: ignore[attr-defined]
    case = selectors.access_case(actor, case_id)
    form = forms.LinkForm(request.POST)
    other = (groups_selectors.case_for_group(actor, form.data.get("code", "").strip())
             if form.is_valid() else None)
    if other is None:
        messages.error(request, _("Aucun dossier ne porte ce numéro."))
    else:
        try:
            case_services.case_link(actor=actor, case=case, other=other,
                                    note=form.cleaned_data["note"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Dossiers liés."))
    return redirect("case_detail", case_id=case.pk)


@require_POST
def case_move(request: HttpRequest, case_id: int) -> HttpResponse:
    """Move a case along one of its stage's transitions."""
    actor = actor_of(request)
    case = selectors.access_case(actor, case_id, for_edit=True)
    transition = next((t for t in workflows.transitions_for(actor, case)
                       if t.pk == as_int(request.POST.get("transition"))), None)
    if transition is None:
        raise Http404
    reason = list_selectors.picklist(PicklistKind.CLOSING_REASON).filter(
        pk=as_int(request.POST.get("closing_reason")) or 0).first()
    try:
        workflows.case_transition(
            actor=actor, case=case, transition=transition,
            expected_version=as_int(request.POST.get("version")) or 0,
            comment=request.POST.get("comment", ""), closing_reason=reason,
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Dossier passé à l'étape « %(stage)s ».")
                         % {"stage": transition.to_stage.name})
    return redirect("case_detail", case_id=case.pk)


# --- Public referral form --------------------------------------------------------------

@require_http_methods(["GET", "POST"])
def referral(request: HttpRequest) -> HttpResponse:
    form = forms.ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # Only accepted reports count (mistakes never do); the refusal gives 3018 / 119.
        who = ratelimit.address_key(request)
        if not ratelimit.take(ratelimit.REFERRAL, who):
            return ratelimit.refused(request, referral=True)
        data = form.cleaned_data
        if data.get("website"):  # honeypot: a robot; answer as if all went well
            return render(request, "tracking/referral_thanks.html")
        try:
            referral_submit(ip_address=client_ip(request), data=ReferralData(
                referrer_kind=data["referrer_kind"], referrer_name=data["referrer_name"],
                referrer_contact=data["referrer_contact"], description=data["description"],
                first_name=data.get("first_name") or "", birth_year=data.get("birth_year"),
                town=data.get("town") or "",
            ))
        except ApplicationError as error:
            ratelimit.give_back(ratelimit.REFERRAL, who)
            add_error(form, error)
        else:
            return render(request, "tracking/referral_thanks.html")
    return render(request, "tracking/referral_form.html", {"form": form},
                  status=400 if form.errors else 200)


def home(request: HttpRequest) -> HttpResponse:
    """The association's home page: the person's own open cases and where to go."""
    actor = actor_of(request)
    mine = selectors.case_list(actor=actor, filters=selectors.CaseFilters(mine=True))
    checklist = None
    # Associations that signed up have a first-run checklist row (joined by the membership
    # middleware): only then, and until dismissed, are its steps computed for admins.
    row = getattr(request.membership.association, "checklist", None)  # type: ignore[attr-defined]
    if actor.role == "admin" and row is not None and row.dismissed_at is None:
        from onboarding.selectors import checklist_get

        checklist = checklist_get(association=request.tenant,  # type: ignore[attr-defined]
                                  row=row)
    return render(request, "tenants/home.html", {"my_cases": mine[:10], "actor": actor,
                                                 "checklist": checklist})
