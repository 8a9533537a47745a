"""The app's own SMTP receiver for the complaints address (aiosmtpd): the organisation's mail server
forwards mail for that address here. A message is answered 250 only once what it became is
committed; when the database cannot take it the answer is 451, and the forwarding server keeps the
message and tries again, so an accepted message is never lost."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from aiosmtpd.controller import Controller
from flask import Flask

from extensions import db
from services import attachments, mail_intake

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted"
TRY_LATER = "451 4.3.0 Cannot store the message now, try again later"
NO_SUCH_ADDRESS = "550 5.1.1 No complaints address here by that name"


class IntakeHandler:
    def __init__(self, app: Flask):
        self.app = app

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        accepted = self.app.config["MAIL_INTAKE_ADDRESSES"]
        if accepted and address.lower() not in accepted:
            return NO_SUCH_ADDRESS
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        # The database work runs off the event loop, so a slow commit holds up no other session.
        return await asyncio.get_running_loop().run_in_executor(None, self.deliver, raw, envelope.mail_from)

    def deliver(self, raw: bytes, envelope_from: Optional[str]) -> str:
        with self.app.app_context():
            taken = None
            try:
                taken = mail_intake.take(raw, envelope_from)
                db.session.commit()
            except Exception:   # the database is down, or anything else: the sender's server retries
                log.exception("could not take a message of %d bytes from %r; answered 451", len(raw), envelope_from)
                _roll_back()
                if taken is not None:
                    attachments.discard(taken.kept)
                return TRY_LATER
            finally:
                db.session.remove()
        return ACCEPTED


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:   # the connection is gone already
        log.warning("rollback after a failed delivery failed too", exc_info=True)


def receiver(app: Flask, host: Optional[str] = None, port: Optional[int] = None) -> Controller:
    """A controller (not started) that serves the complaints address on host:port."""
    config = app.config
    return Controller(IntakeHandler(app), hostname=host or config["MAIL_INTAKE_HOST"],
                      port=port if port is not None else config["MAIL_INTAKE_PORT"],
                      data_size_limit=config["MAIL_INTAKE_MAX_BYTES"], enable_SMTPUTF8=True,
                      ident="complaints intake", timeout=60)
