"""The audit: every view and change of complaints (for the center and the leaders) and every
administration change (also for the administrator), filtered, paged and exported as CSV."""
import csv
import io
import json

from flask import Response, abort, render_template, request, stream_with_context
from flask_login import current_user

from blueprints.audit import bp
from blueprints.audit.forms import AuditFilterForm
from blueprints.ui import describe_changes, local_datetime, role_required
from extensions import db
from extensions import gettext as _
from models import Role
from services import audit, bounds
from services.labels import ADMIN_ACTION_LABELS, EVENT_LABELS

COMPLAINT_ROLES = {Role.CENTER, Role.LEADER}
PER_PAGE = 50


def _filters() -> tuple[AuditFilterForm, str]:
    form = AuditFilterForm(request.args)
    sources = ["complaints", "admin"] if current_user.role in COMPLAINT_ROLES else ["admin"]
    source = request.args.get("source") if request.args.get("source") in sources else sources[0]
    form.source.data = source
    form.source.choices = [c for c in form.source.choices if c[0] in sources]
    labels = EVENT_LABELS if source == "complaints" else ADMIN_ACTION_LABELS
    form.action.choices = [("", _("All"))] + sorted(((key, str(label)) for key, label in labels.items()),
                                                   key=lambda choice: choice[1])
    return form, source


def _query(form: AuditFilterForm, source: str):
    filters = audit.Filters(form.date_from.data, form.date_to.data, form.username.data or "",
                            form.number.data or "", form.action.data or "")
    return audit.complaint_events(filters) if source == "complaints" else audit.admin_entries(filters)


@bp.get("/")
@role_required(Role.CENTER, Role.LEADER, Role.ADMIN)
def index():
    form, source = _filters()
    if not form.validate():
        return render_template("audit/index.html", form=form, source=source, rows=[], page=1, has_next=False,
                               labels=ADMIN_ACTION_LABELS, described={}), 422
    page = bounds.page_number(request.args.get("page"))
    rows, has_next = audit.page_of(_query(form, source), page, PER_PAGE)
    # A complaint's changes in words, as on its own page; the administrators' entries as recorded.
    described = describe_changes([row[0] for row in rows]) if source == "complaints" else {}
    return render_template("audit/index.html", form=form, source=source, rows=rows, page=page, has_next=has_next,
                           labels=ADMIN_ACTION_LABELS, described=described)


def _csv_cell(value) -> str:
    """Text as a spreadsheet will show it: a leading =, +, - or @ is not taken for a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/export.csv")
@role_required(Role.CENTER, Role.LEADER, Role.ADMIN)
def export():
    """The filtered audit as CSV (UTF-8 with BOM, for Excel), streamed so its size does not matter."""
    form, source = _filters()
    if not form.validate():
        abort(422)
    query = _query(form, source).execution_options(yield_per=1000)
    if source == "complaints":
        header = [_("Time"), _("User"), _("Address"), _("Complaint number"), _("Action"), _("Detail"), _("Changes")]
    else:
        header = [_("Time"), _("User"), _("Address"), _("Action"), _("Target"), _("Changes")]

    def cells(row):
        entry = row[0]
        who = f"{entry.actor.username} ({entry.actor.name})" if entry.actor else _("System")
        changes = json.dumps(entry.changes, ensure_ascii=False) if entry.changes else ""
        if source == "complaints":
            return [local_datetime(entry.at), who, entry.remote_addr, row[1], entry.action, entry.detail, changes]
        return [local_datetime(entry.at), who, entry.remote_addr, entry.action, entry.target, changes]

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for number, row in enumerate(db.session.execute(query)):
            writer.writerow([_csv_cell(value) for value in cells(row)])
            if number % 500 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    name = f"audit-{source}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
