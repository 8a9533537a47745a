"""The ledger (台账): every complaint the user may see, filtered through the URL, a page at a time;
its Excel and CSV exports; the printable complaint handling form (客户投诉处理单)."""
from __future__ import annotations

from flask import abort, current_app, flash, make_response, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from redis.exceptions import RedisError

from blueprints.forms import NUMBER_MESSAGES
from blueprints.ledger import bp
from blueprints.ledger.forms import LedgerFilterForm
from blueprints.listing import paginate
from blueprints.ui import current_locale, reads_only, role_required, visible_complaint_or_404
from extensions import db, gettext as _
from models import Role
from services import choices, custom_fields, handling_form, history, identity, ledger, ledger_export, org_settings, policy
from services.timeline import record_view

# Units see their own complaints (services.policy); the administrator handles no complaints.
LEDGER_ROLES = tuple(role for role in Role if role != Role.ADMIN)
COUNT_CAP = 1_000   # beyond this the page says "more than": counting a million rows would cost more than the page


def _partial() -> bool:
    """An HTMX swap of the results; a history restore (Back after the cache expired) wants the page."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


def _filter_form() -> tuple[LedgerFilterForm, dict]:
    units = sorted(choices.all_units(), key=lambda unit: (unit.kind, unit.id))
    return (LedgerFilterForm(request.args, units, choices.categories(), current_locale(), custom_fields.filterable()),
            choices.units())


@bp.get("/")
@reads_only
@role_required(*LEDGER_ROLES)
def index():
    form, units = _filter_form()
    context = {"form": form, "units": units, "args": form.query_args(), "results": None,
               "extra_columns": custom_fields.columns_for(form.category.data if not form.category.errors else None),
               "see_all": current_user.role in policy.SEE_ALL_ROLES}
    status = 200
    if form.validate():
        filters = form.filters()
        try:
            context["results"] = ledger.page(current_user, filters, current_app.config["PAGE_SIZE"],
                                             after=request.args.get("after"), before=request.args.get("before"))
        except ledger.BadCursor:
            context["page_error"] = _("This page link is not valid any more; here is the first page.")
            context["results"] = ledger.page(current_user, filters, current_app.config["PAGE_SIZE"])
            status = 400
    else:
        status = 400
    export_id = request.args.get("export")
    if export_id and not _partial():
        context["export"] = _export_status_or_none(export_id)
    if _partial():
        # HTMX swaps only 2xx answers: the messages go into the results, the status stays 200.
        response = make_response(render_template("ledger/_results.html", **context))
        page_args = {k: request.args[k] for k in ("after", "before") if request.args.get(k) and status == 200}
        response.headers["HX-Push-Url"] = url_for("ledger.index", **context["args"], **page_args)
    else:
        response = make_response(render_template("ledger/index.html", **context), status)
    response.headers["Vary"] = "HX-Request"   # the fragment and the page never share a cache entry
    return response


@bp.get("/count")
@role_required(*LEDGER_ROLES)
def count():
    """How many complaints the filter finds, asked for by the page after the table is shown: counting
    costs more than reading one page (a count scans every match, a page only its rows)."""
    form, _units = _filter_form()
    if not form.validate():
        return "", 400
    total = ledger.count(current_user, form.filters(), cap=COUNT_CAP)
    return render_template("ledger/_count.html", total=total, count_cap=COUNT_CAP)


@bp.post("/export")
@role_required(*LEDGER_ROLES)
def export():
    """Small exports download at once; large ones become a background job shown on the ledger."""
    fmt = request.form.get("fmt")
    form, units = _filter_form()
    if not form.validate():
        # Filters the page itself would refuse (an address typed by hand, a year 9999): the page, saying why.
        return render_template("ledger/index.html", form=form, units=units, args=form.query_args(), results=None,
                               extra_columns=[], see_all=current_user.role in policy.SEE_ALL_ROLES), 400
    if fmt not in ledger_export.FORMATS:
        abort(400)
    filters = form.filters()
    limit = current_app.config["LEDGER_EXPORT_SYNC_ROWS"]
    total = ledger.count(current_user, filters, cap=limit)
    if total <= limit:
        return send_file(ledger_export.export_now(fmt, current_user, filters), mimetype=ledger_export.FORMATS[fmt],
                         as_attachment=True, download_name=ledger_export.download_name(fmt))
    try:
        job_id = ledger_export.start(fmt, current_user, filters, total)
    except (RedisError, OSError):
        flash(_("The export could not be started because the job queue does not answer. "
                "Try again in a minute, or narrow the filter to at most %(limit)s complaints.", limit=limit), "error")
        return redirect(url_for("ledger.index", **form.query_args()), 303)
    return redirect(url_for("ledger.index", **form.query_args(), export=job_id), 303)


def _export_status_or_none(job_id: str):
    try:
        return ledger_export.status(job_id, current_user)
    except (RedisError, OSError):
        return None


@bp.get("/exports/<job_id>")
@role_required(*LEDGER_ROLES)
def export_status(job_id: str):
    """The export's progress, polled by the page until the file is ready."""
    try:
        status = ledger_export.status(job_id, current_user)
    except (RedisError, OSError):
        return render_template("ledger/_export.html", export=None, unavailable=True), 503
    if status is None:
        abort(404)
    return render_template("ledger/_export.html", export=status)


@bp.get("/exports/<job_id>/download")
@role_required(*LEDGER_ROLES)
def download(job_id: str):
    """The finished file, only for the user who asked for it, until it expires."""
    try:
        found = ledger_export.finished_file(job_id, current_user)
    except (RedisError, OSError):
        found = None
    if found is None:
        abort(404)
    path, name = found
    fmt = path.suffix.lstrip(".")
    return send_file(path, mimetype=ledger_export.FORMATS[fmt], as_attachment=True, download_name=name)


@bp.get("/<int:complaint_id>/print")
@login_required
def print_form(complaint_id: int):
    """The complaint handling form (客户投诉处理单) of one case, for A4 from the browser: for whoever
    may see the case (404 otherwise, as the complaint page)."""
    complaint = visible_complaint_or_404(complaint_id)
    record_view(complaint, current_user)
    db.session.commit()
    return render_template("ledger/print.html", complaint=complaint, rounds=handling_form.rounds(complaint),
                           extra=custom_fields.values_of(complaint, current_locale()),
                           decision=handling_form.leader_decision(complaint),
                           organisation=org_settings.display_name())


@bp.get("/customer")
@role_required(*LEDGER_ROLES)
def customer():
    """All complaints of one customer, found by their mobile, ID or account number: those the user
    may see (unit-scoped), a page at a time, and how many others there are. Numbers are masked here."""
    typed = {kind: (request.args.get(kind) or "")[:64] for kind in identity.KINDS}
    errors = {}
    for kind, text in typed.items():
        try:
            identity.NORMALISE[kind](text)
        except identity.BadNumber:
            errors[kind] = True
    numbers = identity.numbers_from(typed)
    page = paginate(history.all_of(numbers)) if numbers and not errors else None
    hidden = history.hidden_count(current_user, numbers) if page is not None else 0
    status = 400 if errors else 200
    return render_template("ledger/customer.html", typed=typed, errors=errors, numbers=numbers, page=page,
                           hidden=hidden, messages=NUMBER_MESSAGES), status
