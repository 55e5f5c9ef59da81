"""Reading a network's published figures (selectors). Schema: public.

Only PublishedCell / PublishedStatistic / NetworkPublication are read here — what
disclosure control let through — never the associations' contributions. A coordinator
chooses among fixed indicators and school years; nothing else can be filtered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenants.models import (
    Network,
    NetworkCoordinator,
    NetworkPublication,
    PublishedCell,
    PublishedStatistic,
    User,
)
from tenants.networks import indicators as cat
from tenants.networks.disclosure import SECONDARY, TOTAL, Reason
from tracking.figures.exports import neutralise


def coordinated_networks(user: User) -> QuerySet[Network]:
    if not user.is_authenticated:
        return Network.objects.none()
    return Network.objects.filter(coordinators__user=user,
                                  coordinators__is_active=True).order_by("name")


def access_network(user: User, network_id: int) -> Network:
    """The network if `user` coordinates it; 404 for missing and forbidden alike."""
    network = coordinated_networks(user).filter(pk=network_id).first()
    if network is None:
        raise Http404
    return network


def is_coordinator(user: User) -> bool:
    return user.is_authenticated and NetworkCoordinator.objects.filter(
        user=user, is_active=True).exists()


def last_publication(network: Network) -> NetworkPublication | None:
    return network.publications.order_by("-published_at").first()


def threshold_of(network: Network, publication: NetworkPublication | None) -> int:
    """The small-count threshold the figures on show were published with."""
    return publication.small_count_threshold if publication else network.small_count_threshold


def published_periods(network: Network) -> list[str]:
    return sorted(set(PublishedCell.objects.filter(network=network)
                      .values_list("period", flat=True)), reverse=True)


# Every suppression that is not a primary one says the same thing: telling a whole-group
# cell or a late change apart from a complement would tell something of its value.
_PROTECTING = gettext_lazy("masqué pour qu'aucun petit effectif ne puisse être retrouvé à "
                           "partir des autres chiffres publiés")
REASON_NOTES = {
    Reason.SMALL: gettext_lazy("effectif de 1 à %(limit)s, affiché « < %(threshold)s »"),
    Reason.FEW_CONTRIBUTORS: gettext_lazy(
        "moins de 3 associations y contribuent (davantage sont exigées quand une même "
        "personne est membre de plusieurs associations du réseau)"),
    Reason.DOMINANCE: gettext_lazy("une seule association en fait plus de 85 %"),
    Reason.NOT_STARTED: gettext_lazy("mois pas encore terminé : pas encore publié"),
    **dict.fromkeys(SECONDARY, _PROTECTING),
}


def reason_note(reason: str, threshold: int) -> str:
    if reason == "empty":
        return str(_("aucune donnée"))
    note = REASON_NOTES.get(Reason(reason)) if reason else None
    if note is None:
        return ""
    if reason == Reason.SMALL:  # the only note with placeholders
        return str(note) % {"limit": threshold - 1, "threshold": threshold}
    return str(note)


@dataclass(frozen=True)
class Shown:
    """A cell as displayed: its text, its number when published, why it is hidden."""

    text: str
    value: int | None
    reason: str = ""

    @property
    def hidden(self) -> bool:
        return self.value is None


def shown(value: int | None, reason: str, threshold: int) -> Shown:
    if value is not None:
        return Shown(f"{value:,}".replace(",", "\u202f"), value)
    if reason == Reason.SMALL:
        return Shown(f"< {threshold}", None, reason)
    if reason == Reason.NOT_STARTED:
        return Shown("—", None, reason)
    return Shown(_("masqué"), None, reason)


@dataclass(frozen=True)
class TableAudit:
    """What the solver's audit found for one table of one school year."""

    hidden: int
    narrowest: int | None  # the narrowest interval of a hidden cell; None: unbounded
    width: int  # the network's protection width the publication applied
    until: str  # the figures' cut-off day (ISO)

    @property
    def text(self) -> str:
        if not self.hidden:
            return str(_("Audité : aucune case masquée."))
        if self.narrowest is None:
            return str(_("Audité : %(hidden)s cases masquées ; aucune ne peut être bornée.")
                       % {"hidden": self.hidden})
        return str(_("Audité : %(hidden)s cases masquées ; l'intervalle le plus étroit où un "
                     "solveur peut enfermer l'une d'elles est de %(narrowest)s (au moins "
                     "%(width)s exigé).") % {"hidden": self.hidden, "narrowest": self.narrowest,
                                             "width": self.width})


def table_audit(publication: NetworkPublication | None, period: str,
                indicator: str) -> TableAudit | None:
    if publication is None:
        return None
    summary = publication.audit.get(period)
    if not summary or indicator not in summary.get("tables", {}):
        return None
    table = summary["tables"][indicator]
    return TableAudit(hidden=table["hidden"], narrowest=table["narrowest"],
                      width=summary["width"], until=summary["until"])


def min_contributors_of(publication: NetworkPublication | None, period: str) -> int:
    """How many associations a shown figure needed (more than 3 when one person belongs
    to several of the network's associations)."""
    summary = publication.audit.get(period) if publication else None
    return int(summary.get("min_contributors", 3)) if summary else 3


def cut_off_day(publication: NetworkPublication | None, period: str) -> date | None:
    """The last day the figures of the school year count (None before the audit)."""
    summary = publication.audit.get(period) if publication else None
    return date.fromisoformat(summary["until"]) if summary else None


@dataclass
class Bar:
    label: str
    shown: Shown
    percent: float  # of the largest published value


@dataclass
class IndicatorView:
    indicator: cat.Indicator
    title: str
    row_title: str
    column_title: str
    columns: list[tuple[str, str]]  # code, label
    rows: list[tuple[str, str, list[Shown], Shown]]  # code, label, cells, row total
    totals: list[Shown]
    grand_total: Shown
    bars: list[Bar]
    notes: list[tuple[str, int]] = field(default_factory=list)  # note, how many cells
    audit: TableAudit | None = None

    @property
    def has_hidden(self) -> bool:
        return bool(self.notes)


def _bars(items: list[tuple[str, Shown]]) -> list[Bar]:
    largest = max((s.value or 0 for _label, s in items), default=0) or 1
    return [Bar(label, s, round(100 * (s.value or 0) / largest, 1)) for label, s in items]


CellMap = dict[tuple[str, str], tuple[int | None, str]]
AUDIT_ROW = "__audit__"  # the CSV's line per table on the audit


def period_cells(network: Network, period: str,
                 indicators: list[str] | None = None) -> dict[str, CellMap]:
    """Every published cell of the school year, by indicator, in one query."""
    found: dict[str, CellMap] = {}
    cells = PublishedCell.objects.filter(network=network, period=period)
    if indicators is not None:
        cells = cells.filter(indicator__in=indicators)
    for indicator, row, column, value, reason in cells.values_list(
            "indicator", "row", "column", "value", "reason").iterator(chunk_size=5000):
        found.setdefault(indicator, {})[(row, column)] = (value, reason)
    return found


def indicator_view(network: Network, indicator: cat.Indicator, period: str,
                   threshold: int, cells: CellMap | None = None, *,
                   publication: NetworkPublication | None = None) -> IndicatorView:
    year = int(period[:4])
    if cells is None:
        cells = period_cells(network, period, [indicator.key]).get(indicator.key, {})
    rows_dim, cols_dim = cat.DIMENSIONS[indicator.rows], cat.DIMENSIONS[indicator.columns]

    def at(row: str, column: str) -> Shown:
        cell = cells.get((row, column))
        if cell is None:
            return Shown("—", None, "")
        return shown(cell[0], cell[1], threshold)

    columns = [(code, cols_dim.label(code)) for code in indicator.column_codes(year)]
    rows = []
    for code in indicator.row_codes(year):
        total = at(code, TOTAL)
        if total.value == 0:
            continue  # a category nobody is in: left out of the page (zeros in the CSV)
        rows.append((code, rows_dim.label(code), [at(code, c) for c, _l in columns], total))
    totals = [at(TOTAL, c) for c, _l in columns]
    notes: dict[str, int] = {}
    for value, reason in cells.values():
        if value is None and reason != Reason.NOT_STARTED:
            note = reason_note(reason, threshold)
            notes[note] = notes.get(note, 0) + 1
    if indicator.chart == "trend":
        bars = _bars([(label, s) for (_c, label), s in zip(columns, totals, strict=True)])
    else:
        bars = _bars([(label, total) for _c, label, _cells, total in rows])
    return IndicatorView(
        indicator=indicator, title=indicator.full_title, row_title=str(rows_dim.title),
        column_title=str(cols_dim.title), columns=columns, rows=rows, totals=totals,
        grand_total=at(TOTAL, TOTAL), bars=bars,
        notes=sorted(notes.items(), key=lambda pair: -pair[1]),
        audit=table_audit(publication, period, indicator.key),
    )


@dataclass(frozen=True)
class Headline:
    label: str
    shown: Shown
    unit: str = ""


def statistics_of(network: Network, period: str) -> dict[tuple[str, str], PublishedStatistic]:
    return {(s.indicator, s.key): s for s in PublishedStatistic.objects.filter(
        network=network, period=period)}


def _decimal(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.1f}".replace(".", ",")


def headlines(network: Network, period: str, threshold: int,
              stats: dict[tuple[str, str], PublishedStatistic]) -> list[Headline]:
    totals = {c.indicator: c for c in PublishedCell.objects.filter(
        network=network, period=period, row=TOTAL, column=TOTAL,
        indicator__in=["new_by_gender", "active_by_age_bracket", "interactions_by_kind",
                       "awareness_by_audience", "group_sessions"])}

    def total(key: str) -> Shown:
        cell = totals.get(key)
        return shown(cell.value, cell.reason, threshold) if cell else Shown("—", None)

    median = stats.get(("referral_delay", "median_days"))
    if median is not None and median.value is not None:
        median_shown = Shown(_decimal(median.value), int(median.value))
    elif median is None or median.reason == "empty":
        median_shown = Shown("—", None)
    else:
        median_shown = Shown(_("masqué"), None, median.reason)
    return [
        Headline(_("Jeunes accompagnés dans l'année"), total("active_by_age_bracket")),
        Headline(_("Nouveaux jeunes"), total("new_by_gender")),
        Headline(_("Échanges"), total("interactions_by_kind")),
        Headline(_("Séances de groupes"), total("group_sessions")),
        Headline(_("Personnes sensibilisées"), total("awareness_by_audience")),
        Headline(_("Délai médian signalement → premier contact"), median_shown, _("jours")),
    ]


def trend(network: Network, indicator: cat.Indicator, periods: list[str],
          threshold: int) -> list[tuple[str, Shown]]:
    """The indicator's grand total, school year after school year."""
    cells = {c.period: c for c in PublishedCell.objects.filter(
        network=network, indicator=indicator.key, row=TOTAL, column=TOTAL,
        period__in=periods)}
    return [(p, shown(cells[p].value, cells[p].reason, threshold) if p in cells
             else Shown("—", None)) for p in sorted(periods)]


def impact_rows(stats: dict[tuple[str, str], PublishedStatistic]) -> list[tuple[str, str, str]]:
    out = []
    for axis in cat.AXES:
        first = stats.get(("impact_assessed", f"{axis}_first"))
        latest = stats.get(("impact_assessed", f"{axis}_latest"))
        out.append((str(cat.AXIS_LABELS[axis]), _decimal(first.value if first else None),
                    _decimal(latest.value if latest else None)))
    return out


def csv_rows(network: Network, period: str, threshold: int,
             publication: NetworkPublication | None = None) -> list[list[str]]:
    """Every published cell of the school year, hidden ones with their reason, then one
    line per table saying what the audit found. Text neutralised against formulas."""
    return [[str(neutralise(text)) for text in row]
            for row in _csv_rows(network, period, threshold, publication)]


def _csv_rows(network: Network, period: str, threshold: int,
              publication: NetworkPublication | None) -> list[list[str]]:
    header = [_("indicateur"), _("titre"), _("année scolaire"), _("ligne (code)"),
              _("ligne"), _("colonne (code)"), _("colonne"), _("valeur"), _("masqué : pourquoi")]
    out = [header]
    cells = PublishedCell.objects.filter(network=network, period=period).order_by(
        "indicator", "row", "column")
    for cell in cells.iterator(chunk_size=5000):
        indicator = cat.BY_KEY.get(cell.indicator)
        if indicator is None:
            continue
        rows_dim, cols_dim = cat.DIMENSIONS[indicator.rows], cat.DIMENSIONS[indicator.columns]
        total = _("Total")
        value = shown(cell.value, cell.reason, threshold)
        out.append([
            indicator.key, str(indicator.title), period, cell.row,
            total if cell.row == TOTAL else rows_dim.label(cell.row), cell.column,
            total if cell.column == TOTAL else cols_dim.label(cell.column),
            str(cell.value) if cell.value is not None else value.text,
            reason_note(cell.reason, threshold),
        ])
    for stat in PublishedStatistic.objects.filter(network=network, period=period).order_by(
            "indicator", "key"):
        out.append([stat.indicator, str(cat.BY_KEY[stat.indicator].title), period, stat.key,
                    stat.key, "", "",
                    _decimal(stat.value) or ("" if stat.reason == "empty" else _("masqué")),
                    reason_note(stat.reason, threshold)])
    for indicator in cat.CATALOGUE:
        found = table_audit(publication, period, indicator.key)
        if found is not None:
            out.append([indicator.key, str(indicator.title), period, AUDIT_ROW,
                        str(_("audit de la publication")), "", "", str(found.hidden),
                        found.text])
    return out
