"""The manufacturer's 投诉统计表 (services.statistics_sheet): one complaint's sheet for A4, the week's
list and its Excel. Where the organisation does not keep it, every page is 404, as if absent."""
from __future__ import annotations

from flask import abort, make_response, render_template, request
from flask_login import current_user, login_required

from blueprints.statistics_sheet import bp
from blueprints.ui import current_locale, role_required, visible_complaint_or_404
from extensions import db
from models import Role
from services import org_settings, periods, statistics_sheet
from services.timeline import record_view

# Units see their own complaints in the list (services.policy); the administrator handles none.
LIST_ROLES = tuple(role for role in Role if role != Role.ADMIN)


@bp.app_template_global()
def keeps_statistics_sheet() -> bool:
    return statistics_sheet.setting() is not None


@bp.before_request
def kept_or_404():
    # Signed-out visitors go on to login_required's redirect, which reveals nothing either.
    if current_user.is_authenticated and statistics_sheet.setting() is None:
        abort(404)


@bp.get("/<int:complaint_id>")
@login_required
def print_sheet(complaint_id: int):
    """One complaint's 投诉统计表, for A4 from the browser: for whoever may see the case (404 otherwise)."""
    complaint = visible_complaint_or_404(complaint_id)
    record_view(complaint, current_user)
    db.session.commit()
    locale = current_locale()
    return render_template("statistics_sheet/print.html", complaint=complaint,
                           code=statistics_sheet.customer_code(complaint, locale),
                           order=statistics_sheet.order_lines(complaint, locale),
                           taken_by=statistics_sheet.taken_by(complaint),
                           rounds=statistics_sheet.handling(complaint), sheet_unit=statistics_sheet.unit(),
                           organisation=org_settings.display_name())


def _week():
    """The week asked for (the current one without); (None, 400) when it makes no sense."""
    try:
        return statistics_sheet.week(request.args.get("week")), 200
    except periods.BadPeriod:
        return None, 400


@bp.get("/weekly")
@role_required(*LIST_ROLES)
def week_list():
    """Every complaint received in the week that the user may see, one line each."""
    period, status = _week()
    complaints = statistics_sheet.complaints_of(period, current_user) if period else []
    headers, rows = statistics_sheet.rows(complaints)
    return render_template("statistics_sheet/week.html", period=period, headers=headers,
                           items=list(zip(complaints, rows)), cell_text=statistics_sheet.text, typed=request.args.get("week", "")[:20]), status


@bp.get("/weekly.xlsx")
@role_required(*LIST_ROLES)
def week_excel():
    period, _status = _week()
    if period is None:
        abort(400)
    data = statistics_sheet.workbook(period, statistics_sheet.complaints_of(period, current_user))
    response = make_response(data)
    response.headers["Content-Type"] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response.headers["Content-Disposition"] = f'attachment; filename="statistics-sheet-{period.code}.xlsx"'
    return response
