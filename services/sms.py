"""Text messages to customers, through the outbox like e-mail: queue_sms() writes a row in the
transaction that causes the notice (a rolled-back change texts nobody), and notify.deliver_due sends
it through the provider of SMS_GATEWAY (services.sms_gateways), retrying with back-off. Also what a
contact is (mobile, landline, e-mail, other) and the SMS template of each notice kind."""
from __future__ import annotations

import json
import math
import re
from typing import Optional

from sqlalchemy import select

from extensions import db
from models import ContactKind, NoticeKind, OutboxChannel, OutboxMessage, SmsTemplate
from services import identity, kept, notify
from services.sms_gateways import GATEWAYS, THROTTLE_CODES, SmsError, SmsGateway, gateway  # noqa: F401 - its API

SEGMENT = 70          # characters of one SMS in UCS-2 (any Chinese text)
LONG_SEGMENT = 67     # per part of a longer one: the rest carries the header that joins the parts
# A landline: an area code (010, 0755…) and 7–8 digits, an optional extension; or a 400/800 number.
LANDLINE = re.compile(r"(?:\(?0\d{2,3}\)?-?)?[2-9]\d{6,7}(?:-\d{1,6})?|[48]00-?\d{3}-?\d{4}")


def contact_kind(contact: str) -> ContactKind:
    value = (contact or "").strip()
    if identity.mobile_in(value):
        return ContactKind.MOBILE
    if "@" in value and "." in value.rsplit("@", 1)[-1]:
        return ContactKind.EMAIL
    if LANDLINE.fullmatch(re.sub(r"[\s]", "", value)):
        return ContactKind.LANDLINE
    return ContactKind.OTHER


def segments(text: str) -> int:
    """How many messages the provider bills for the text: one up to 70 characters, else 67 each."""
    length = len(text)
    if length == 0:
        return 0
    return 1 if length <= SEGMENT else math.ceil(length / LONG_SEGMENT)


def sms_template(kind: NoticeKind) -> Optional[SmsTemplate]:
    return db.session.scalar(select(SmsTemplate).where(SmsTemplate.kind == kind))


def _template_in_use(kind: NoticeKind) -> tuple[Optional[str], list[str]]:
    """The provider's template code of the kind and its parameters' names, kept between requests
    until a setting changes (services.kept)."""
    def load():
        template = sms_template(kind)
        return (template.code if template else None), param_names(template)
    return kept.kept(f"sms_template:{kind.value}", SmsTemplate, load)


def param_names(template: Optional[SmsTemplate]) -> list[str]:
    return [name.strip() for name in (template.params if template else "").split(",") if name.strip()]


def queue_sms(phone: str, text: str, subject: str = "", complaint_id: int | None = None,
              kind: NoticeKind | None = None, context: dict | None = None) -> OutboxMessage:
    """Queue one text. With `kind`, the provider's template of that kind is used, its parameters
    filled from `context` (the notice's placeholders) in the order the administrator gave."""
    code, names = _template_in_use(kind) if kind else (None, [])
    params = {name: str((context or {}).get(name, "")) for name in names}
    message = notify.queue_message(phone, subject or text[:60], text, None, complaint_id)
    message.channel = OutboxChannel.SMS
    message.template_code = code
    message.template_params = json.dumps(params, ensure_ascii=False)
    return message
