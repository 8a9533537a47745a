"""相似投诉 on a complaint's page: linking a similar complaint to this one's incident in one click."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError

from blueprints.complaints import bp
from blueprints.ui import visible_complaint_or_404
from extensions import db
from extensions import gettext as _
from models import Complaint
from services import severity, similarity
from services.errors import Refused


def similar_cases(complaint: Complaint) -> dict:
    """What templates/complaints/_similar.html shows: the complaints counted with this one by the
    repeat rule (named if the user may see them, else counted), and the similar ones."""
    counted, others = severity.similar_complaints(complaint, current_user)
    return {"counted": counted, "counted_elsewhere": others, "cases": similarity.similar_to(complaint, current_user),
            "can_link": similarity.can_link(current_user)}


@bp.post("/<int:complaint_id>/similar/<int:other_id>/link")
@login_required
def link_similar(complaint_id: int, other_id: int):
    """The similar complaint and this one in one incident: this one's, the other's, or a new one."""
    if not similarity.can_link(current_user):
        abort(403)   # before the look-up, as the other actions: the refusal says nothing of the cases
    complaint = visible_complaint_or_404(complaint_id)
    other = visible_complaint_or_404(other_id)
    try:
        incident = similarity.link_similar(complaint, other, current_user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone else changed one of these complaints meanwhile; nothing was saved. Please try again."),
              "error")
        return redirect(url_for("complaints.show", complaint_id=complaint_id), 303)
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal.message) if refusal.message else _("These complaints cannot be linked."), "error")
        return redirect(url_for("complaints.show", complaint_id=complaint_id), 303)
    flash(_("Linked to the incident “%(title)s”.", title=incident.title), "info")
    return redirect(url_for("complaints.show", complaint_id=complaint_id), 303)
