"""The complaint form, its confirmation, and the tracking page with what the customer may add."""
import uuid
from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for

from blueprints.public import bp
from blueprints.public.forms import ComplaintForm, InformationForm, LinkForm, SurveyForm, TrackForm
from blueprints.ui import current_locale
from extensions import db, gettext as _, limiter
from models import Complaint, ComplaintState, Satisfaction
from services import clock, customer, identity, queue
from services.errors import Refused
from services.labels import CUSTOMER_STATE_LABELS

TRACKED = "tracked"          # the session's complaint ids whose number and code (or link) were given
TRACKED_AT_MOST = 5
VIEWS_LOGGED = "views_logged"   # complaint id -> when this session's view was last audited
VIEW_LOGGED_EVERY = timedelta(hours=1)


def _complaint_limit() -> str:
    return current_app.config["PUBLIC_COMPLAINT_LIMIT"]


def _track_limit() -> str:
    return current_app.config["PUBLIC_TRACK_LIMIT"]


@bp.url_value_preprocessor
def limit_body_size(_endpoint, _values):
    # Before any before_request hook (CSRF reads the form there): no public body beyond the limit.
    # The complaint form may carry evidence files; larger bodies get the 413 page unread.
    config = current_app.config
    with_files = _endpoint == "public.complain" and request.mimetype == "multipart/form-data"
    files = config["PUBLIC_MAX_FILES"] * config["ATTACHMENT_MAX_BYTES"] if with_files else 0
    request.max_content_length = config["PUBLIC_MAX_UPLOAD"] + files
    request.max_form_memory_size = config["PUBLIC_MAX_UPLOAD"]    # the text, files or not


@bp.route("/complain", methods=["GET", "POST"])
@limiter.limit(_complaint_limit, methods=["POST"], deduct_when=lambda response: response.status_code < 400)
def complain():
    form = ComplaintForm(locale=current_locale())
    if request.method == "GET":
        form.submission_token.data = uuid.uuid4().hex
    elif form.validate_on_submit():
        if form.website.data:
            # The honeypot was filled in: a robot. It sees a thank-you and nothing is filed.
            return render_template("public/filed.html", complaint=None, code=None)
        token = form.submission_token.data or ""
        if len(token) != 32:
            abort(400)
        try:
            complaint, code = customer.file_web_complaint(token, customer.WebComplaint(
                customer_name=form.customer_name.data.strip(), email=form.email.data.strip(),
                phone=(form.phone.data or "").strip() or None, id_number=identity.id_number(form.id_number.data or ""),
                account=identity.account(form.account.data or ""), content=form.content.data.strip(),
                demand=form.demand.data.strip(), object_text=form.object_text.data.strip(),
                category_id=form.category.data, object_unit_id=form.branch.data or None,
                language=current_locale(), evidence=form.checked_evidence, nature=form.chosen_nature()))
        except customer.NoIntake:
            abort(503)
        db.session.commit()
        if code:
            _remember(complaint)
        return render_template("public/filed.html", complaint=complaint, code=code)
    return render_template("public/complain.html", form=form), 422 if form.errors else 200


@bp.route("/track", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
def track():
    form = TrackForm()
    if request.method == "GET":
        form.number.data = request.args.get("number", "")[:32]
    elif form.validate_on_submit():
        complaint = customer.find_by_code(form.number.data, form.code.data)
        if complaint is not None:
            _remember(complaint)
            return redirect(url_for("public.status", number=complaint.number), 303)
        # The same words whether the number exists or not; the code is not echoed back.
        form.code.data = ""
        form.code.errors.append(_("This number and tracking code do not go together. Check both and try again."))
    return _track_page(form, LinkForm(prefix="link", formdata=None), 422 if form.errors else 200)


@bp.post("/track/link")
@limiter.limit(_track_limit)
def ask_for_link():
    form = LinkForm(prefix="link")
    if not form.validate_on_submit():
        return _track_page(TrackForm(formdata=None), form, 422)
    # The lookup and the mail happen in the worker: this answer costs the same whoever asks.
    if not queue.enqueue_best_effort("services.jobs.send_tracking_link", form.number.data, form.email.data,
                                     result_ttl=0):
        customer.send_link(form.number.data, form.email.data)   # no queue: late rather than never
        db.session.commit()
    flash(_("If this number and e-mail address belong together, a link is on its way to that address."), "info")
    return redirect(url_for("public.track"), 303)


@bp.route("/track/link/<token>", methods=["GET", "POST"])
@limiter.limit(_track_limit, methods=["POST"])
def use_link(token: str):
    """GET asks to confirm (mail scanners follow links and would spend them); POST spends the link."""
    form = InformationForm(formdata=None)   # only for its CSRF token
    if request.method == "POST":
        if not form.validate_on_submit() and form.csrf_token.errors:
            abort(400)
        complaint = customer.use_link(token)
        if complaint is not None:
            db.session.commit()
            _remember(complaint)
            return redirect(url_for("public.status", number=complaint.number), 303)
        flash(_("This link has expired or was used already. Ask for a new one below."), "error")
        return redirect(url_for("public.track"), 303)
    return render_template("public/link.html", form=form)


@bp.get("/track/<number>")
def status(number: str):
    complaint = _tracked_or_redirect(number)
    _record_view(complaint)
    db.session.commit()
    return _status_page(complaint)


@bp.post("/track/<number>/information")
@limiter.limit(_track_limit)
def add_information(number: str):
    complaint = _tracked_or_redirect(number)
    form = InformationForm()
    if not form.validate_on_submit() or complaint.state == ComplaintState.CLOSED:
        return _status_page(complaint, information=form, status=422)
    customer.add_information(complaint, form.text.data.strip())
    db.session.commit()
    flash(_("Thank you. What you added is with the people handling your complaint."), "info")
    return redirect(url_for("public.status", number=number), 303)


@bp.post("/track/<number>/survey")
def survey(number: str):
    complaint = _tracked_or_redirect(number)
    form = SurveyForm()
    if not form.validate_on_submit():
        return _status_page(complaint, survey=form, status=422)
    try:
        customer.answer_survey(complaint, Satisfaction(form.rating.data), (form.comment.data or "").strip())
    except Refused:   # answered already, or the complaint moved on meanwhile
        db.session.rollback()
        flash(_("This complaint is not waiting for your answer any more."), "error")
        return redirect(url_for("public.status", number=number), 303)
    db.session.commit()
    flash(_("Thank you for your answer."), "info")
    return redirect(url_for("public.status", number=number), 303)


@bp.after_request
def no_store(response):
    # The complaint form's answer shows the tracking code, the status page the complaint: neither
    # may stay in a shared PC's browser cache or a proxy's.
    response.headers["Cache-Control"] = "no-store"
    return response


def _record_view(complaint: Complaint) -> None:
    """The customer's view goes into the audit once per session and hour, not at every reload."""
    logged = session.get(VIEWS_LOGGED, {})
    last, now = logged.get(str(complaint.id)), clock.now()
    if last and now - datetime.fromisoformat(last) < VIEW_LOGGED_EVERY:
        return
    customer.record_view(complaint)
    tracked = {str(i) for i in session.get(TRACKED, [])}
    session[VIEWS_LOGGED] = {key: at for key, at in logged.items() if key in tracked} | {str(complaint.id): now.isoformat()}


def _remember(complaint: Complaint) -> None:
    tracked = [i for i in session.get(TRACKED, []) if i != complaint.id]
    session[TRACKED] = (tracked + [complaint.id])[-TRACKED_AT_MOST:]


def _tracked_or_redirect(number: str) -> Complaint:
    """The complaint, if this browser gave its number and code; otherwise back to the lookup
    (the same answer for a number that does not exist)."""
    complaint = db.session.scalar(db.select(Complaint).where(Complaint.number == number.upper()))
    if complaint is None or complaint.id not in session.get(TRACKED, []):
        abort(redirect(url_for("public.track", number=number[:32]), 303))
    return complaint


def _track_page(form, link_form, status: int):
    return render_template("public/track.html", form=form, link_form=link_form), status


def _status_page(complaint: Complaint, information=None, survey=None, status: int = 200):
    return render_template(
        "public/status.html", complaint=complaint, state=CUSTOMER_STATE_LABELS[complaint.state],
        commitments=customer.commitments(complaint), messages=customer.messages(complaint),
        files=customer.own_files(complaint),
        information=information or InformationForm(formdata=None),
        survey=survey or SurveyForm(formdata=None)), status
