"""The report's figures as titled tables: one definition shared by the page, the printable view and
the Excel file, so the three always say the same."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from flask_babel import format_date

from extensions import lazy_gettext as _l
from services import statistics as stats
from services.labels import (CAUSE_LABELS, CHANNEL_LABELS, DEADLINE_LABELS, KIND_LABELS, LEVEL_LABELS,
                             SATISFACTION_LABELS, SEVERITY_LABELS)

DIMENSIONS = {  # name: title, the column heading of the key
    "category": (_l("By category"), _l("Category")),
    "channel": (_l("By channel"), _l("Channel")),
    "business_line": (_l("By business line"), _l("Business line")),
    "unit": (_l("By branch / receiving unit"), _l("Branch / unit")),
    "department": (_l("By handling department"), _l("Department")),
    "severity": (_l("By severity"), _l("Severity")),
    "level": (_l("By level"), _l("Level")),
    "kind": (_l("By kind"), _l("Kind")),
}
# The monthly report for the regulator: category, channel, business line, branch.
REGULATORY = ("category", "channel", "business_line", "unit")


def labels() -> dict:
    return {"channel": CHANNEL_LABELS, "level": LEVEL_LABELS, "kind": KIND_LABELS, "severity": SEVERITY_LABELS}


@dataclass
class Table:
    name: str
    title: str
    headers: list
    rows: list = field(default_factory=list)
    percent: set = field(default_factory=set)     # columns holding rates (0..1 or None)
    total: Optional[list] = None
    note: str = ""
    row_formats: dict = field(default_factory=dict)   # row index -> "percent" or "hours" (the summary's value column)

    def format_of(self, row: int, column: int) -> str:
        if column in self.percent:
            return "percent"
        if column == 1 and row in self.row_formats:
            return self.row_formats[row]
        return "number"


def breakdown_table(name: str, rows: list, total: stats.Row) -> Table:
    title, key = DIMENSIONS[name]
    headers = [key, _l("Received"), _l("Closed cases"), _l("Closed on time"), _l("On-time closing rate"), _l("Return visits"),
               _l("Satisfied (A–C)"), _l("Satisfaction rate"), _l("Major")]

    def line(label, r: stats.Row):
        return [label, r.received, r.closed, r.closed_on_time, r.on_time_rate, r.rated, r.satisfied,
                r.satisfaction_rate, r.major]
    note = _l("The business line follows from the category: the department its routing rule sends it to.") \
        if name == "business_line" else ""
    def label(r: stats.Row):
        if name == "department" and r.key is None:
            return _l("Not dispatched (handled by the receiving unit)")
        return r.label
    return Table(name, title, headers, [line(label(r), r) for r in rows], percent={4, 7},
                 total=line(_l("Total"), total), note=note)


def summary_table(report: stats.Report) -> Table:
    s = report.summary
    handling = report.handling
    rows = [
        [_l("Received"), s.received], [_l("Closed cases"), s.closed], [_l("Still open"), s.open],
        [_l("Open and overdue now"), s.overdue_now],
        [_l("Closed within the regulatory deadline"), s.closed_on_time],
        [_l("On-time rate (regulatory deadline)"), s.on_time_rate],
        [_l("Judged not valid"), s.invalid], [_l("Withdrawn"), s.withdrawn], [_l("Major complaints"), s.major],
        [_l("Repeat complaints (3+ customers, same matter)"), s.repeated], [_l("Collective complaints"), s.collective],
        [_l("Concentrated complaints"), s.concentrated], [_l("Incidents behind them"), s.incidents],
        [_l("Forwarded by a regulator"), s.regulator], [_l("Reopened for a second handling"), s.reopened],
        [_l("Review cases (核查)"), s.reviews], [_l("Satisfaction rate (A–C of those visited)"), s.satisfaction_rate],
        [_l("Average handling time, hours (receipt to closing)"), handling.average_hours],
        [_l("90th percentile handling time, hours"), handling.p90_hours],
    ]
    if report.suggestions is not None:   # counted apart: none of the figures above includes them
        rows += [[_l("Suggestions received (counted apart, not in the figures above)"), report.suggestions.received],
                 [_l("Suggestions closed"), report.suggestions.closed]]
    # The value column holds counts, rates or hours, by row.
    return Table("summary", _l("Summary"), [_l("Figure"), _l("Value")], rows,
                 row_formats={5: "percent", 16: "percent", 17: "hours", 18: "hours"})


def trend_table(report: stats.Report) -> Table:
    grain = report.period.grain
    headers = [_l("Week from") if grain == "week" else _l("Month"), _l("Received"), _l("Closed so far")]
    rows = [[format_date(day, "yyyy-MM-dd" if grain == "week" else "yyyy-MM"), n, c] for day, n, c in report.trend]
    return Table("trend", _l("Trend by week") if grain == "week" else _l("Trend by month"), headers, rows)


def clocks_table(report: stats.Report) -> Table:
    headers = [_l("Clock"), _l("Due so far"), _l("Met on time"), _l("Missed"), _l("On-time rate"),
               _l("Still running")]
    rows = [[DEADLINE_LABELS[c.kind], c.judged, c.on_time, c.late, c.rate, c.running] for c in report.clocks]
    return Table("clocks", _l("On-time rate by deadline"), headers, rows, percent={4})


def satisfaction_table(report: stats.Report) -> Table:
    rated = sum(n for _, n in report.satisfaction)
    rows = [[SATISFACTION_LABELS[r], n, stats.rate(n, rated)] for r, n in report.satisfaction]
    return Table("satisfaction", _l("Satisfaction at the return visit"), [_l("Rating"), _l("Complaints"), _l("Share")],
                 rows, percent={2}, total=[_l("Total"), rated, stats.rate(rated, rated)])


def causes_table(report: stats.Report) -> Table:
    rows = [[CAUSE_LABELS[kind], actions, complaints] for kind, actions, complaints in report.causes]
    return Table("causes", _l("Top causes (from the departments' corrective actions)"),
                 [_l("Cause"), _l("Actions"), _l("Complaints")], rows)


def hot_spots_table(report: stats.Report) -> Table:
    rows = [[h.category, h.object_text, h.complaints, h.customers] for h in report.hot_spots]
    return Table("hot_spots", _l("Recurring matters (same object and category, 2 or more times)"),
                 [_l("Category"), _l("Complained about"), _l("Complaints"), _l("Customers")], rows)


def report_tables(report: stats.Report, dimensions=tuple(DIMENSIONS)) -> list[Table]:
    """Every table of a report, in reading order."""
    total = stats.Row(1, "", report.summary.received, report.summary.closed, report.summary.closed_on_time,
                      report.summary.rated, report.summary.satisfied, report.summary.major)
    return ([summary_table(report), trend_table(report)]
            + [breakdown_table(name, report.by[name], total) for name in dimensions]
            + [clocks_table(report), satisfaction_table(report), causes_table(report), hot_spots_table(report)])


def assessment_table(rows: list[stats.Assessment], locale: str, with_penalties: bool = False) -> Table:
    """`with_penalties`: where the organisation keeps penalties, two more columns."""
    headers = [_l("Unit"), _l("Complaints"), _l("Clocks due"), _l("Met on time"), _l("On-time rate"), _l("Missed"),
               _l("Reopened"), _l("Reopen rate"), _l("Return visits"), _l("Satisfaction rate"), _l("Overdue now"),
               _l("Corrective actions overdue")]
    body = [[r.unit.display_name(locale), r.received, r.judged, r.on_time, r.on_time_rate, r.missed, r.reopened,
             r.reopen_rate, r.rated, r.satisfaction_rate, r.overdue_now, r.actions_overdue] for r in rows]
    if with_penalties:
        headers += [_l("Penalties decided"), _l("Penalties executed")]
        for line, r in zip(body, rows):
            line += [r.penalties_decided, r.penalties_executed]
    return Table("assessment", _l("Unit assessment"), headers, body, percent={4, 7, 9},
                 note=_l("Branches and the service center are assessed on the complaints they received and every "
                         "clock but the department answer; departments on the complaints dispatched to them and "
                         "their answer clock."))
