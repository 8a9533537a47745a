"""The service center's survey rounds (用户意见调查表) and their summary (汇总表); the customer's
answer page behind a personal link."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.surveys import bp
from blueprints.surveys.forms import AnswerForm, RoundForm
from blueprints.ui import role_required
from extensions import db, limiter
from extensions import gettext as _
from models import Role, SurveyRound
from services import bounds, survey_export, surveys
from services.errors import Refused

VIEWERS = (Role.CENTER, Role.LEADER)
UPLOAD_MAX_BYTES = 2 * 1024 * 1024


def _answer_limit() -> str:
    return current_app.config["PUBLIC_TRACK_LIMIT"]


@bp.get("/surveys/")
@role_required(*VIEWERS)
def index():
    latest = surveys.latest_round()
    return render_template("surveys/index.html", rounds=surveys.rounds(),
                           next_due=surveys.next_due(latest) if latest else None)


@bp.route("/surveys/new", methods=["GET", "POST"])
@role_required(Role.CENTER)
def new():
    form = RoundForm()
    bad = []
    if request.method == "GET":
        start, end = surveys.half_year(bounds.today())
        form.period_start.data, form.period_end.data = start, end
        form.title.data = _("Customer survey %(start)s to %(end)s", start=start.isoformat(), end=end.isoformat())
    elif form.validate_on_submit():
        customers = surveys.CustomerList()
        try:
            _read(form, customers)
        except Refused as refusal:
            form.customers.errors.append(str(refusal))
        bad = customers.bad
        if form.customers.errors:
            pass
        elif bad and not form.leave_out_bad.data:
            form.customers.errors.append(_("%(count)d lines cannot be used (listed below): correct them, or make the "
                                           "round without them.", count=len(bad)))
        else:
            try:
                survey = surveys.create_round(current_user, form.title.data.strip(), form.period_start.data,
                                              form.period_end.data, customers)
            except Refused as refusal:
                getattr(form, refusal.field or "customers").errors.append(str(refusal))
            else:
                db.session.commit()
                flash(_("The round is made with %(count)d customers. Check the list, then send it.",
                        count=len(survey.recipients)), "info")
                return redirect(url_for("surveys.show", round_id=survey.id), 303)
    return render_template("surveys/new.html", form=form, bad=bad), 422 if form.errors else 200


def _read(form: RoundForm, customers: "surveys.CustomerList") -> None:
    if form.customers.data and form.customers.data.strip():
        surveys.read_lines(form.customers.data, customers)
    upload = form.upload.data
    if upload and getattr(upload, "filename", ""):
        data = upload.read(UPLOAD_MAX_BYTES + 1)
        if len(data) > UPLOAD_MAX_BYTES:
            raise Refused(_("The file is larger than 2 MB."))
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1][:60]
        surveys.read_lines(surveys.decode_upload(data), customers, prefix=f"{name} ")
    if form.from_complaints.data:
        surveys.add_complaint_customers(form.period_start.data, form.period_end.data, customers)


def _round_or_404(round_id: int) -> SurveyRound:
    survey = db.session.get(SurveyRound, round_id) if round_id <= bounds.MAX_ID else None
    if survey is None:
        abort(404)
    return survey


@bp.get("/surveys/<int:round_id>")
@role_required(*VIEWERS)
def show(round_id: int):
    survey = _round_or_404(round_id)
    return render_template("surveys/show.html", survey=survey, summary=surveys.summary(survey))


@bp.get("/surveys/<int:round_id>.xlsx")
@role_required(*VIEWERS)
def export(round_id: int):
    """The summary (用户意见调查汇总表) and every answer, as an Excel file."""
    survey = _round_or_404(round_id)
    return current_app.response_class(survey_export.workbook(survey), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="survey-{survey.id}.xlsx"'})


@bp.post("/surveys/<int:round_id>/send")
@role_required(Role.CENTER)
def send(round_id: int):
    survey = _round_or_404(round_id)
    form = RoundForm(formdata=None)
    if not form.validate_on_submit() and form.csrf_token.errors:
        abort(400)
    try:
        count = surveys.send_round(survey)
    except Refused as refusal:
        db.session.rollback()
        flash(str(refusal), "error")
        return redirect(url_for("surveys.show", round_id=round_id), 303)
    db.session.commit()
    flash(_("%(count)d messages are on their way.", count=count), "info")
    return redirect(url_for("surveys.show", round_id=round_id), 303)


# ----------------------------------------------------------------------------- the customer's page

@bp.route("/survey/<token>", methods=["GET", "POST"])
@limiter.limit(_answer_limit, methods=["POST"])
def answer(token: str):
    recipient = surveys.by_token(token)
    if recipient is None:
        abort(404)
    if recipient.answered_at is not None:   # a second answer is refused, and says so
        return _answer_page(recipient, None, done=True, status=409 if request.method == "POST" else 200)
    form, problem = AnswerForm(), None
    if request.method == "POST" and form.validate_on_submit():
        try:
            surveys.record_answer(recipient, form.scores(), form.comment.data or "")
        except Refused as refusal:
            db.session.rollback()
            if refusal.field != "scores":     # answered meanwhile, in another tab
                return _answer_page(recipient, None, done=True, status=409)
            problem = str(refusal)
        else:
            db.session.commit()
            return _answer_page(recipient, None, done=True, thanks=True)
    failed = bool(form.errors or problem)
    return _answer_page(recipient, form, problem=problem, status=422 if failed else 200)


def _answer_page(recipient, form, done: bool = False, thanks: bool = False, problem=None, status: int = 200):
    response = current_app.make_response((render_template(
        "surveys/answer.html", recipient=recipient, form=form, done=done, thanks=thanks, problem=problem), status))
    response.headers["Cache-Control"] = "no-store"
    return response
