"""Activity figures and exports, on an association's host (tenant schema).

The figures page and its downloads need FIGURES_READ (aggregates only) and show small
counts as "< 11" to whoever lacks FIGURES_EXACT (tracking/figures/shown.py); the case list
downloads need EXPORT and go through `selectors.case_list`, so they hold exactly the cases
the person may see. Every download needs a recent sign-in or re-authentication
(tenants.accounts.security.sensitive_action) and is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tenants.accounts.security import sensitive_action
from tracking.access import client_ip, requires
from tracking.audit.services import audit_record
from tracking.cases import selectors
from tracking.cases.selectors import SORTS, CaseFilters
from tracking.figures import exports
from tracking.figures.activity import (
    AGE_BRACKET_CODES,
    Period,
    PeriodKind,
    activity_figures,
    current_period,
    first_activity_day,
    period_of,
)
from tracking.figures.shown import ShownFigures, figures_shown, hides_small_counts
from tracking.permissions import Capability
from tracking.school_year import school_year_of

EARLIEST_YEAR = 1990
MAX_ID = 2**31 - 1
TRUE_WORDS = {"1", "on", "true", "yes", "oui"}


# --- lenient parsing of GET parameters -----------------------------------------------------


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def period_from(params: Mapping[str, Any], today: date | None = None) -> Period:
    """The period asked for; anything unreadable falls back to the current one."""
    today = today or timezone.localdate()
    kind: PeriodKind = "calendar" if params.get("period") == "calendar" else "school"
    current = current_period(kind, today)
    year = _positive_int(params.get("year"))
    if year is None or not EARLIEST_YEAR <= year <= current.year:
        return current
    return period_of(kind, year)


def case_filters_from(params: Mapping[str, Any]) -> CaseFilters:
    """The case list's filters; a value that cannot be read is ignored (its default
    applies), never an error."""
    defaults = CaseFilters()
    status = params.get("status", defaults.status)
    sort = params.get("sort", defaults.sort)
    bracket = params.get("age_bracket", "")
    return CaseFilters(
        q=str(params.get("q", "")).strip()[:100],
        status=status if status in {"open", "closed", "all"} else defaults.status,
        mine=str(params.get("mine", "")).strip().lower() in TRUE_WORDS,
        programme=_positive_int(params.get("programme")),
        detection_source=_positive_int(params.get("detection_source")),
        partner=_positive_int(params.get("partner")),
        age_bracket=bracket if bracket in AGE_BRACKET_CODES else "",
        opened_from=_day(params.get("opened_from")),
        opened_to=_day(params.get("opened_to")),
        sort=sort if sort in SORTS else defaults.sort,
    )


def _filters_detail(filters: CaseFilters) -> dict[str, Any]:
    """The filters, JSON-ready, for the audit log. Searched free text is kept as "…": it may
    name a young person, and audit entries never hold personal data — the log is
    append-only, so an erasure could not reach them (tracking/privacy/services.py)."""
    from tracking.fields.services import PREFIX, field_list
    from tracking.models import CustomFieldTarget

    text = {PREFIX + f.key for f in field_list(CustomFieldTarget.CASE, include_archived=True)
            if f.is_text}
    detail = {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in vars(filters).items()
    }
    detail["q"] = "…" if filters.q else ""
    detail["custom"] = {key: "…" if key in text and value else value
                        for key, value in filters.custom.items()}
    return detail


# --- responses ---------------------------------------------------------------------------


def _attachment(file: exports.ExportFile, stem: str) -> HttpResponse:
    response = HttpResponse(file.content, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{file.extension}"'
    response["Cache-Control"] = "no-store, private"
    return response


def _slug(request: HttpRequest) -> str:
    return str(getattr(request.tenant, "slug", "association"))  # type: ignore[attr-defined]


def _year_choices(period: Period, today: date) -> list[int]:
    current = current_period(period.kind, today).year
    first_day = first_activity_day()
    if first_day is None:
        first = current
    else:
        first = school_year_of(first_day) if period.kind == "school" else first_day.year
    first = min(first, period.year, current)
    return list(range(current, first - 1, -1))


def _figures_for(request: HttpRequest, period: Period) -> ShownFigures:
    """The period's figures as the actor may see them (small counts hidden or not)."""
    actor = request.actor  # type: ignore[attr-defined]
    figures = activity_figures(period_kind=period.kind, year=period.year)
    return figures_shown(figures, hide_small=hides_small_counts(actor))


@require_GET
@requires(Capability.FIGURES_READ)
def figures(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    period = period_from(request.GET, today)
    data = _figures_for(request, period)
    query = urlencode({"period": period.kind, "year": period.year})
    return render(request, "tracking/figures.html", {
        "figures": data,
        "period": period,
        "period_kinds": [("school", _("Année scolaire")), ("calendar", _("Année civile"))],
        "years": _year_choices(period, today),
        "query": query,
    })


FiguresWriter = Callable[..., exports.ExportFile]


def _figures_download(request: HttpRequest, writer: FiguresWriter) -> HttpResponse:
    period = period_from(request.GET)
    data = _figures_for(request, period)
    file = writer(data, association_name=str(getattr(request.tenant, "name", "")))  # type: ignore[attr-defined]
    audit_record(
        actor=request.actor, action="export.figures",  # type: ignore[attr-defined]
        ip_address=client_ip(request), format=file.extension, period_kind=period.kind,
        year=period.year,
    )
    return _attachment(file, f"chiffres-{_slug(request)}-{period.slug}")


@require_GET
@requires(Capability.FIGURES_READ)
@sensitive_action
def figures_csv(request: HttpRequest) -> HttpResponse:
    return _figures_download(request, exports.figures_csv)


@require_GET
@requires(Capability.FIGURES_READ)
@sensitive_action
def figures_xlsx(request: HttpRequest) -> HttpResponse:
    return _figures_download(request, exports.figures_xlsx)


CasesWriter = Callable[..., exports.ExportFile]


def _cases_download(request: HttpRequest, writer: CasesWriter) -> HttpResponse:
    actor = request.actor  # type: ignore[attr-defined]
    filters = case_filters_from(request.GET)
    cases = selectors.case_list(actor=actor, filters=filters)
    today = timezone.localdate()
    file = writer(cases, today=today)
    audit_record(
        actor=actor, action="export.cases", ip_address=client_ip(request),
        format=file.extension, rows=file.rows, filters=_filters_detail(filters),
    )
    return _attachment(file, f"dossiers-{_slug(request)}-{today.isoformat()}")


@require_GET
@requires(Capability.EXPORT)
@sensitive_action
def case_export_csv(request: HttpRequest) -> HttpResponse:
    return _cases_download(request, exports.cases_csv)


@require_GET
@requires(Capability.EXPORT)
@sensitive_action
def case_export_xlsx(request: HttpRequest) -> HttpResponse:
    return _cases_download(request, exports.cases_xlsx)
