"""A periodic report's figures, generated from the complaints and never typed (数据自动生成, 不得手工改动):
the unit's counts from services.statistics for the period, as plain JSON so that a submitted report
keeps them unchanged, however the complaints move later."""
from __future__ import annotations

from sqlalchemy import ColumnElement, select, true

from extensions import db
from models import Category, PeriodicReport
from services import policy
from services import statistics as stats
from services.periods import Period

TOP_CAUSES = 5
TOP_SPOTS = 5


def scope_of(report: PeriodicReport, top: bool) -> ColumnElement[bool]:
    """What a unit counts: the top of the chain (the service center's summary) every complaint; any
    other unit those it received or that were dispatched to it."""
    if top:
        return true()
    return policy.of_unit(report.unit_id)


def compute_figures(report: PeriodicReport, period: Period, top: bool, lower: list[dict]) -> dict:
    scope = scope_of(report, top)
    summary = stats.summary(period, scope)
    names = {c.id: (c.name, c.name_en) for c in db.session.scalars(select(Category).order_by(Category.id))}
    categories = []
    for category_id, counts in sorted(stats.breakdowns(period, scope, ["category"])["category"].items(),
                                      key=lambda item: (-item[1][0], item[0] or 0)):
        name, name_en = names.get(category_id, ("—", "—"))
        categories.append({"name": name, "name_en": name_en, "received": counts[0], "closed": counts[1],
                           "closed_on_time": counts[2]})
    spots = [{"category": spot.category, "object": spot.object_text, "complaints": spot.complaints,
              "customers": spot.customers} for spot in stats.hot_spots(period, scope, "zh_CN", TOP_SPOTS)]
    return {
        "period": period.code,
        "summary": {"received": summary.received, "closed": summary.closed,
                    "closed_on_time": summary.closed_on_time, "open": summary.open,
                    "overdue": summary.overdue_now, "major": summary.major, "repeated": summary.repeated,
                    "collective": summary.collective, "invalid": summary.invalid, "rated": summary.rated,
                    "satisfied": summary.satisfied},
        "categories": categories,
        "satisfaction": {rating.value: count for rating, count in stats.satisfaction(period, scope)},
        "causes": [{"cause": kind.value, "actions": actions, "complaints": complaints}
                   for kind, actions, complaints in stats.causes(period, scope)[:TOP_CAUSES]],
        "hot_spots": spots,
        "lower": lower,
    }
