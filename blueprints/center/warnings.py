"""The early warnings on the center's home (集中投诉预警): open the incident linking a wave's
complaints in one click, or dismiss a false alarm."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from blueprints.center import bp
from blueprints.ui import role_required
from extensions import db
from extensions import gettext as _
from models import Role, WaveAlert
from services import waves
from services.errors import Refused


@bp.app_context_processor
def _warnings() -> dict:
    """For templates/center/_warning_banner.html, on the center's and the leader's homes (待我处理)
    and the overview: called by a page that shows the banner only."""
    return {"wave_warnings": lambda: [(alert, waves.alert_facts(alert)) for alert in waves.open_alerts()]}


def _alert_or_404(alert_id: int) -> WaveAlert:
    return db.session.get(WaveAlert, alert_id) or abort(404)


@bp.post("/warnings/<int:alert_id>/incident")
@role_required(Role.CENTER, Role.LEADER)
def open_wave_incident(alert_id: int):
    alert = _alert_or_404(alert_id)
    try:
        incident = waves.open_incident(alert, current_user)
        db.session.commit()
    except (Refused, StaleDataError):
        db.session.rollback()
        flash(_("This warning was dealt with meanwhile."), "error")
        return redirect(url_for("center.overview"), 303)
    flash(_("Incident opened; its complaints are linked."), "info")
    return redirect(url_for("complaints.incident", incident_id=incident.id), 303)


@bp.post("/warnings/<int:alert_id>/dismiss")
@role_required(Role.CENTER, Role.LEADER)
def dismiss_wave(alert_id: int):
    alert = _alert_or_404(alert_id)
    try:
        waves.dismiss(alert, current_user)
        db.session.commit()
    except Refused:
        db.session.rollback()
        flash(_("This warning was dealt with meanwhile."), "error")
    return redirect(url_for("center.overview"), 303)
