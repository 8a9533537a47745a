"""The organisation this database serves, as its profile set it up (models.Organisation, one row):
its name on printed forms and public pages, and the records of its own it keeps.

A profile's `records:` section switches on the seeds' records beyond the product's common flow
(the manufacturer's weekly 投诉统计表, the hotline's 分管领导 sign-off, …); each feature asks
`record_setting(key)` and stays off where the profile does not name it."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app
from flask_babel import get_locale

from extensions import db
from models import Organisation
from services import kept, txcache

ROW_ID = 1
# A database set up before organisations had their own row was the bank's: read as the bank's.
BANK_NAME, BANK_NAME_EN = "示范银行股份有限公司", "Demo Bank"
_CACHED = "organisation"   # the row's name in txcache


def current() -> Optional[Organisation]:
    """The organisation's row (None on a database set up before it had one), read once per transaction:
    what a change writes to (save, set_plan_approval) and what settings() is read from. Pages read
    settings()."""
    return txcache.cached(_CACHED, Organisation, lambda: db.session.get(Organisation, ROW_ID))


@dataclass(frozen=True)
class Settings:
    """What the pages read of the organisation's row, as plain values kept between requests."""
    name: str
    name_en: str
    profile: str
    records: dict


def settings() -> Optional[Settings]:
    """The organisation's settings (None on a database set up before it had a row), kept in each
    process until a setting changes (services.kept): the navigation and the policy read them on
    every page. A change is written to the row (current(), save())."""
    return kept.kept("organisation settings", Organisation, _read_settings)


def _read_settings() -> Optional[Settings]:
    row = current()
    if row is None:
        return None
    return Settings(row.name, row.name_en, row.profile, copy.deepcopy(row.records or {}))


SEVERITY = "severity"   # beside the `records:` keys: the profile's criteria of a major complaint (services.severity)


def save(name: str, name_en: str, profile: str, records: dict, severity: Optional[list] = None) -> Organisation:
    """Set the organisation up from its profile (the caller commits): its `records:` section, and its
    `severity:` criteria kept with them under SEVERITY."""
    row = current()
    created = row is None
    if created:
        row = Organisation(id=ROW_ID)
    row.name, row.name_en, row.profile, row.records = name, name_en, profile, dict(records)
    if severity is not None:
        row.records[SEVERITY] = list(severity)
    if created:
        db.session.add(row)
    db.session.flush()   # settings() reads it back from here on (services.kept: a written transaction's own)
    return row


def display_name(english: Optional[bool] = None) -> str:
    """The name printed on forms and public pages: ORGANISATION_NAME when the deployment sets it,
    else the profile's, in English where the reader's language is English."""
    configured = current_app.config.get("ORGANISATION_NAME")
    if configured:
        return configured
    if english is None:
        english = str(get_locale() or "zh").startswith("en")
    row = settings()
    if row is None:
        return BANK_NAME_EN if english else BANK_NAME
    return row.name_en if english else row.name


def profile_name() -> str:
    row = settings()
    return row.profile if row is not None else "bank"


def record_setting(key: str) -> Any:
    """The profile's setting for the record `key` (None where the organisation does not keep it)."""
    row = settings()
    return row.records.get(key) if row is not None else None


def keeps(key: str) -> bool:
    return bool(record_setting(key))


PLAN_APPROVAL = "plan_approval"   # beside the `records:` keys: the administrator's choice of plan approvers
LEADERS_PLANS = ("center", "leader")   # a leader's own plan: the service center, or another leader


def plan_approval() -> dict:
    """Who approves a leader's own plan ("center", the default, or another "leader"), and the person
    the administrator names for a plan nobody else may approve ("fallback": a user id, or None)."""
    chosen = record_setting(PLAN_APPROVAL) or {}
    leaders = chosen.get("leaders") if chosen.get("leaders") in LEADERS_PLANS else LEADERS_PLANS[0]
    return {"leaders": leaders, "fallback": chosen.get("fallback")}


def set_plan_approval(leaders: str, fallback: Optional[int]) -> dict:
    """Store the administrator's choice (the caller audits and commits); returns the one before."""
    before = plan_approval()
    row = current()
    if row is None:
        row = save(BANK_NAME, BANK_NAME_EN, "bank", {})
    records = dict(row.records or {})
    records[PLAN_APPROVAL] = {"leaders": leaders, "fallback": fallback}
    row.records = records
    db.session.flush()   # settings() reads the change from here on (services.kept: a written transaction's own)
    return before
