"""A profile's `records:` section: the seeds' records an organisation keeps beyond the common flow.
Each key is checked here when the profile is read (a broken value is refused with its line); the
checked value is stored on the organisation's row and read back with services.org_settings.

    records:
      statistics_sheet: {unit: MKT, weekday: 1}   # 投诉统计表; the weekly list to that unit's manager
      suggestions: true                           # 建议 registered and counted apart
      capa_signoff: true                          # the 分管领导 signs off the 纠正及预防措施记录表
      assessment_unit: GEN                        # 综合部: penalties (处罚意见), decided and executed
      monthly_reports: [{unit_kind: branch, due_day: 3}, …]     # reports flowing upward, by due day
      quarterly_analysis: {due_day: 15}           # the written analysis, days into the next quarter
      annual_report: {due_day: 20}                # the top level's report on the year, days into January
      survey: {every_months: 6}                   # 用户意见调查表 to a list of customers
      leader_told_of_every_complaint: true        # the leaders (总经理) e-mailed of every new complaint
"""
from __future__ import annotations

from typing import Any, Callable

from models import UnitKind


def _flag(reader, where: tuple, value: Any, units: dict) -> bool:
    if not isinstance(value, bool):
        reader.fail(where, "must be true or false")
    return value


def _day(reader, where: tuple, value: Any, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        reader.fail(where, f"must be a whole number from {low} to {high}")
    return value


def _mapping(reader, where: tuple, value: Any, keys: dict[str, bool]) -> dict:
    """`keys`: the known keys and whether each is required."""
    if not isinstance(value, dict):
        reader.fail(where, f"must be a mapping with {', '.join(keys)}")
    for key in value:
        if key not in keys:
            reader.fail(where + (key,), f"unknown key '{key}' (known: {', '.join(sorted(keys))})")
    for key, required in keys.items():
        if required and key not in value:
            reader.fail(where, f"'{key}' is missing")
    return value


def _unit(reader, where: tuple, code: Any, units: dict, kinds: set[str] | None = None) -> str:
    if not isinstance(code, str) or code not in units:
        reader.fail(where, f"{code!r} is not among the units")
    if kinds and units[code]["kind"] not in kinds:
        reader.fail(where, f"unit {code} is a {units[code]['kind']}; it must be one of: {', '.join(sorted(kinds))}")
    return code


def _statistics_sheet(reader, where: tuple, value: Any, units: dict) -> dict:
    _mapping(reader, where, value, {"unit": True, "weekday": False})
    _unit(reader, where + ("unit",), value["unit"], units)
    value.setdefault("weekday", 1)
    _day(reader, where + ("weekday",), value["weekday"], 1, 7)   # ISO: 1 Monday … 7 Sunday
    return value


def _assessment_unit(reader, where: tuple, value: Any, units: dict) -> str:
    return _unit(reader, where, value, units, {UnitKind.DEPARTMENT.value})


def _monthly_reports(reader, where: tuple, value: Any, units: dict) -> list:
    if not isinstance(value, list) or not value:
        reader.fail(where, "must be a list of {unit_kind, due_day}, from the first level up")
    kinds = [kind.value for kind in UnitKind]
    for index, step in enumerate(value):
        _mapping(reader, where + (index,), step, {"unit_kind": True, "due_day": True})
        if step["unit_kind"] not in kinds:
            reader.fail(where + (index, "unit_kind"), f"must be one of: {', '.join(kinds)}")
        _day(reader, where + (index, "due_day"), step["due_day"], 1, 28)
    return value


def _quarterly_analysis(reader, where: tuple, value: Any, units: dict) -> dict:
    _mapping(reader, where, value, {"due_day": True})
    _day(reader, where + ("due_day",), value["due_day"], 1, 28)
    return value


def _annual_report(reader, where: tuple, value: Any, units: dict) -> dict:
    _mapping(reader, where, value, {"due_day": True})
    _day(reader, where + ("due_day",), value["due_day"], 1, 28)
    return value


def _survey(reader, where: tuple, value: Any, units: dict) -> dict:
    _mapping(reader, where, value, {"every_months": True})
    _day(reader, where + ("every_months",), value["every_months"], 1, 12)
    return value


CHECKS: dict[str, Callable] = {
    "statistics_sheet": _statistics_sheet,
    "suggestions": _flag,
    "capa_signoff": _flag,
    "assessment_unit": _assessment_unit,
    "monthly_reports": _monthly_reports,
    "quarterly_analysis": _quarterly_analysis,
    "annual_report": _annual_report,
    "survey": _survey,
    "leader_told_of_every_complaint": _flag,
}


def check(reader, data: dict, units: dict) -> dict:
    """The checked `records:` section of a profile (empty when it has none)."""
    records = data.get("records") or {}
    if not isinstance(records, dict):
        reader.fail(("records",), "'records' must be a mapping of the records this organisation keeps")
    for key in list(records):
        if key not in CHECKS:
            reader.fail(("records", key), f"unknown record '{key}' (known: {', '.join(CHECKS)})")
        records[key] = CHECKS[key](reader, ("records", key), records[key], units)
    data["records"] = records
    return records
