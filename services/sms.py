"""Text messages to customers. Notices are queued in the transaction that causes them and handed to
the gateway after the commit, so a rolled-back change never texts anyone. The gateway is chosen by
the SMS_GATEWAY setting; a real provider is one more SmsGateway subclass in GATEWAYS."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from extensions import db

log = logging.getLogger(__name__)
_PENDING = "sms_pending"


class SmsGateway:
    """Sends one text to one phone number; raises OSError when the provider cannot be reached."""

    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingSmsGateway(SmsGateway):
    """Writes each text to the log (and keeps it, for tests) instead of sending it."""

    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", phone, text)


GATEWAYS = {"logging": LoggingSmsGateway}


def gateway() -> SmsGateway:
    """The app's gateway, made once per app from SMS_GATEWAY."""
    extensions = current_app.extensions
    if "sms_gateway" not in extensions:
        extensions["sms_gateway"] = GATEWAYS[current_app.config["SMS_GATEWAY"]]()
    return extensions["sms_gateway"]


def queue_sms(phone: str, text: str) -> None:
    db.session.info.setdefault(_PENDING, []).append((phone, text))


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for phone, text in session.info.pop(_PENDING, []):
        try:
            gateway().send(phone, text)
        except Exception as exc:   # noqa: BLE001 - the notice is on the tracking page anyway; the
            log.warning("SMS to %s failed: %s", phone, exc)   # request (already committed) goes on


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
