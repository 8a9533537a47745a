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

ROW_ID = 1
# A database set up before organisations had their own row was the bank's: read as the bank's.
BANK_NAME, BANK_NAME_EN = "示范银行股份有限公司", "Demo Bank"


def current() -> Optional[Organisation]:
    """The organisation's row (None on a database set up before it had one). Within a request it comes
    from the session's identity map after the first read."""
    return db.session.get(Organisation, ROW_ID)


@dataclass(frozen=True)
class Snapshot:
    name: str
    name_en: str
    profile: str
    records: dict


def _snapshot() -> Optional[Snapshot]:
    """The row as this process last read it. Every page asks for it several times (the navigation,
    the records' switches) and it changes only when a profile is set up, so it is read once per
    process and forgotten by save(). A missing row is not kept: a process started before the seed
    sees the organisation once it exists."""
    kept = current_app.extensions.get("org_settings")
    if kept is None:
        row = current()
        if row is None:
            return None
        kept = Snapshot(row.name, row.name_en, row.profile, copy.deepcopy(row.records or {}))
        current_app.extensions["org_settings"] = kept
    return kept


def forget() -> None:
    """Read the row again at the next question (after it changed)."""
    current_app.extensions.pop("org_settings", None)


SEVERITY = "severity"   # beside the `records:` keys: the profile's criteria of a major complaint (services.severity)


def save(name: str, name_en: str, profile: str, records: dict, severity: Optional[list] = None) -> Organisation:
    """Set the organisation up from its profile (the caller commits): its `records:` section, and its
    `severity:` criteria kept with them under SEVERITY."""
    forget()
    row = current()
    if row is None:
        row = Organisation(id=ROW_ID)
        db.session.add(row)
    row.name, row.name_en, row.profile, row.records = name, name_en, profile, dict(records)
    if severity is not None:
        row.records[SEVERITY] = list(severity)
    return row


def display_name(english: Optional[bool] = None) -> str:
    """The name printed on forms and public pages: ORGANISATION_NAME when the deployment sets it,
    else the profile's, in English where the reader's language is English."""
    configured = current_app.config.get("ORGANISATION_NAME")
    if configured:
        return configured
    if english is None:
        english = str(get_locale() or "zh").startswith("en")
    row = _snapshot()
    if row is None:
        return BANK_NAME_EN if english else BANK_NAME
    return row.name_en if english else row.name


def profile_name() -> str:
    row = _snapshot()
    return row.profile if row is not None else "bank"


def record_setting(key: str) -> Any:
    """The profile's setting for the record `key` (None where the organisation does not keep it)."""
    row = _snapshot()
    return row.records.get(key) if row is not None else None


def keeps(key: str) -> bool:
    return bool(record_setting(key))
