"""The outbox as the administrator sees it: e-mail and texts that could not be sent, with the reason
(and the SMS provider's code), and a retry. A message given up after notify.MAX_ATTEMPTS waits here;
nothing is dropped silently."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import case, select

from blueprints.admin import bp
from blueprints.ui import role_required
from extensions import db
from extensions import gettext as _
from models import OutboxChannel, OutboxMessage, OutboxState, Role
from services import audit, notify
from services.identity import mask_contact


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox():
    """Given-up messages first, then those waiting for another attempt after a failure."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.state != OutboxState.SENT, OutboxMessage.state != OutboxState.DROPPED,
                    OutboxMessage.last_error.is_not(None))
             .order_by(case((OutboxMessage.state == OutboxState.FAILED, 0), else_=1),
                       OutboxMessage.next_attempt_at.desc(), OutboxMessage.id.desc()))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=100, error_out=False)
    return render_template("admin/outbox.html", page=page, subjects=notify.subjects(page.items),
                           max_attempts=notify.MAX_ATTEMPTS)


@bp.post("/outbox/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_message(message_id: int):
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.state in (OutboxState.SENT, OutboxState.DROPPED):
        abort(404)
    notify.retry(message)
    audit.record_admin("outbox_retried", f"outbox {message.id} to {message.to_addr}",
                       {"subject": notify.subjects([message])[message.id], "last_error": message.last_error})
    db.session.commit()
    flash(_("The message to %(address)s is queued again and goes out within a minute.",
            address=mask_contact(message.to_addr) if message.channel == OutboxChannel.SMS else message.to_addr),
          "info")
    return redirect(url_for("admin.outbox", page=request.args.get("page", type=int)), 303)
