"""Complaints that arrive through the channels' API (hotline system, app, mini-program, partner):
filed like a web complaint (registered by the system for the key's receiving unit, assessed by
the center, acknowledged to the customer with a tracking code), under an Idempotency-Key; and what
the customer's tracking page shows, for the channel to show in its own screens."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage

from extensions import db, savepoint
from models import (ApiChannel, ApiFiling, ApiKey, Attachment, Category, Channel, Complaint, ComplaintNature,
                    ComplaintState, CustomerMessage, NoticeKind, Unit, UnitKind)
from services import api_keys, attachments, clock, customer, identity, org_settings
from services.errors import Refused
from services.registration import Registration, register_complaint
from services.timeline import log_event

CHANNELS = {ApiChannel.HOTLINE: Channel.HOTLINE, ApiChannel.APP: Channel.APP,
            ApiChannel.MINI_PROGRAM: Channel.MINI_PROGRAM, ApiChannel.PARTNER: Channel.PARTNER}
LIST_AT_MOST = 50


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before with another request body."""


class NoReceiver(Exception):
    """The key's unit has no active account that could own the complaint."""


@dataclass
class ApiComplaint:
    customer_name: str
    mobile: Optional[str]          # normalised
    email: Optional[str]
    content: str
    demand: str
    object_text: str
    category_id: int
    object_unit_id: Optional[int]
    language: str
    id_number: Optional[str] = None
    account: Optional[str] = None
    nature: ComplaintNature = ComplaintNature.COMPLAINT   # a suggestion, where the organisation keeps them


def request_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _token(key: ApiKey, idempotency_key: str) -> str:
    # 32 characters: the complaint carries its token as its number until it is numbered.
    return "api-" + hashlib.sha256(f"{key.id}\n{idempotency_key}".encode()).hexdigest()[:28]


def _earlier(key: ApiKey, idempotency_key: str, body_hash: str) -> Optional[Complaint]:
    filing = db.session.scalar(select(ApiFiling).where(ApiFiling.api_key_id == key.id,
                                                       ApiFiling.idempotency_key == idempotency_key))
    if filing is None:
        return None
    if filing.request_hash != body_hash:
        raise IdempotencyConflict()
    return db.session.get(Complaint, filing.complaint_id)


def check_references(data: ApiComplaint) -> dict:
    """{field: message} for a category or unit that does not exist or cannot be chosen."""
    from extensions import gettext as _
    errors = {}
    category = db.session.get(Category, data.category_id)
    if category is None or not category.active:
        errors["category_id"] = _("No such category.")
    if data.object_unit_id is not None:
        unit = db.session.get(Unit, data.object_unit_id)
        if unit is None or unit.kind != UnitKind.BRANCH:
            errors["object_unit_id"] = _("No such branch.")
    if data.nature == ComplaintNature.SUGGESTION and not org_settings.keeps("suggestions"):
        errors["nature"] = _("This organisation takes complaints only, no suggestions.")
    return errors


def file_complaint(key: ApiKey, idempotency_key: str, body_hash: str, data: ApiComplaint) -> tuple[Complaint, bool]:
    """Register the complaint for the key's unit, once per Idempotency-Key. Returns (complaint,
    created). Raises IdempotencyConflict, NoReceiver."""
    earlier = _earlier(key, idempotency_key, body_hash)
    if earlier is not None:
        return earlier, False
    owner = api_keys.receiver(key)
    if owner is None:
        raise NoReceiver()
    now = clock.now()
    complaint, created = register_complaint(owner, _token(key, idempotency_key), Registration(
        customer_name=data.customer_name, customer_contact=data.mobile or data.email or "",
        channel=CHANNELS[key.channel], received_at=now, content=data.content, demand=data.demand,
        object_text=data.object_text, category_id=data.category_id,
        level=current_app.config["WEB_COMPLAINT_LEVEL"], object_unit_id=data.object_unit_id,
        customer_mobile=data.mobile, customer_id_number=data.id_number, customer_account=data.account,
        nature=data.nature),
        filed_by_customer=True)
    if not created:   # the twin of a concurrent retry won (and wrote its filing in the same transaction)
        earlier = _earlier(key, idempotency_key, body_hash)
        if earlier is None:
            raise IdempotencyConflict()
        return earlier, False
    try:
        with savepoint():
            db.session.add(ApiFiling(api_key_id=key.id, idempotency_key=idempotency_key, request_hash=body_hash,
                                     complaint_id=complaint.id, created_at=now))
            db.session.flush()
    except IntegrityError:
        raise IdempotencyConflict()
    code = customer.grant_access(complaint, data.email, data.mobile, data.language)
    db.session.flush()
    customer.send_notice(complaint, NoticeKind.ACCEPTANCE, code=code)
    return complaint, True


def visible(key: ApiKey, number: str) -> Optional[Complaint]:
    """A complaint filed through a key of the same channel, or None: a key reads nothing else."""
    return db.session.scalar(
        select(Complaint).join(ApiFiling, ApiFiling.complaint_id == Complaint.id)
        .join(ApiKey, ApiKey.id == ApiFiling.api_key_id)
        .where(Complaint.number == number.strip().upper()[:32], ApiKey.channel == key.channel).limit(1))


def by_mobile(key: ApiKey, mobile: str) -> list[Complaint]:
    """The customer's complaints filed through this channel, newest first."""
    return list(db.session.scalars(
        select(Complaint).join(ApiFiling, ApiFiling.complaint_id == Complaint.id)
        .join(ApiKey, ApiKey.id == ApiFiling.api_key_id)
        .where(Complaint.customer_mobile == mobile, ApiKey.channel == key.channel)
        .order_by(Complaint.id.desc()).limit(LIST_AT_MOST)))


def _via(key: ApiKey) -> str:
    return f"api · {key.channel.value} · {key.prefix}"


def add_information(key: ApiKey, complaint: Complaint, text: str) -> CustomerMessage:
    """Raises Refused when the complaint is closed."""
    message = customer.add_information(complaint, text)
    message.channel = key.channel.value
    return message


def add_evidence(key: ApiKey, complaint: Complaint, file: FileStorage) -> Attachment:
    """The same checks as every upload; raises Refused with the reason (or when the complaint is closed)."""
    if complaint.state == ComplaintState.CLOSED:
        raise Refused()
    return attachments.store(complaint, file, None)


def record_read(key: ApiKey, complaint: Complaint) -> None:
    log_event(complaint, None, "viewed", _via(key))


def customer_mobile(text: str) -> Optional[str]:
    try:
        return identity.mobile(text)
    except identity.BadNumber:
        return None
