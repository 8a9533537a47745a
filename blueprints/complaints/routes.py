
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from wtforms import BooleanField, SelectField

from blueprints.complaints import bp
from blueprints.complaints.next_step import confirmation, leading_actions, next_deadline
from blueprints.complaints.forms import (NOT_REACHED, AdjustDeadlineForm, AnswerForm, ContactForm,
                                         DispatchForm, EscalateForm, ExtendForm, HandOverForm,
                                         InvalidForm, ReclassifyForm,
                                         LeaderDecisionForm, NoteForm, NoticeForm, PlanForm, ResultForm,
                                         ReturnForm, ReviewForm, ReviewRequestForm, TakeOverForm, VisitForm,
                                         WithdrawForm, AssignForm)
from blueprints.complaints import extra_fields
from blueprints.complaints.page_reads import known_empty_lists, page_complaint_or_404, timeline_shown
from blueprints.complaints.similar import similar_cases
from blueprints.ui import current_locale, describe_changes, local_datetime, reads_only, visible_complaint_or_404
from extensions import db, gettext as _
from models import (Complaint, ComplaintEvent, ComplaintKind, ContactChannel, Satisfaction, Unit, User)
from services import (choices, clock, complaints, deadlines, handover, notify, org_settings, policy,
                      routing, severity, timeline)
from services.errors import Refused
from services.reclassification import Classification, reclassify_complaint
from services.complaints import ConflictOfInterest, StaleComplaint
from services.labels import DEADLINE_LABELS, ROLE_LABELS


def _new(form_class, prefix: str, submitted: bool):
    """A form of the page, with the posted data or (formdata=None) empty; fields prefixed by action."""
    return form_class(prefix=prefix) if submitted else form_class(formdata=None, prefix=prefix)


def _department_choices(departments) -> list:
    return [(0, _("Choose…"))] + [(u.id, u.display_name(current_locale())) for u in departments]


def _dispatch_form(complaint: Complaint, submitted: bool = False) -> DispatchForm:
    form = _new(DispatchForm, "dispatch", submitted)
    form.unit.choices = _department_choices(routing.destinations(excluding=complaint.unit_id))
    form.suggestion = None
    if not submitted:
        form.suggestion = routing.suggested_department(complaint)
        form.unit.data = form.suggestion.unit.id if form.suggestion else 0
    _offer_handlers(form, form.unit.data)
    return form


def _offer_handlers(form: DispatchForm, unit_id) -> None:
    """The people of the chosen unit only (the page swaps them when another is chosen: dispatch_handlers):
    a network's hundreds of branches would make one list of thousands."""
    form.assignee.choices = [(0, _("Whole unit (its head assigns it)"))] + [
        (person.id, person.name) for person in routing.handlers_of(unit_id)]


def _assign_form(complaint: Complaint, submitted: bool = False) -> AssignForm:
    form = _new(AssignForm, "assign", submitted)
    form.assignee.choices = [(0, _("Choose…"))] + [
        (u.id, f"{u.name} · {ROLE_LABELS[u.role]}") for u in choices.possible_handlers(complaint)]
    return form


def _assign(complaint, form):
    assignee = db.session.get(User, form.assignee.data)
    if assignee is None or assignee.id == complaint.assignee_id:
        raise FieldRefused("assignee", _("Choose someone other than the current handler."))
    complaints.assign_handler(complaint, current_user, assignee, (form.note.data or "").strip(),
                              expected_version=form.version.data)


def _adjust_form(complaint: Complaint, submitted: bool = False) -> AdjustDeadlineForm:
    form = _new(AdjustDeadlineForm, "adjust", submitted)
    form.deadline.choices = [(0, _("Choose…"))] + [
        (d.id, f"{DEADLINE_LABELS[d.kind]} · {local_datetime(d.due_at)}") for d in complaint.deadlines if d.met_at is None]
    return form


def _reclassify_form(complaint: Complaint, submitted: bool = False) -> ReclassifyForm:
    form = _new(ReclassifyForm, "reclassify", submitted)
    categories = choices.active_categories()
    if complaint.category_id not in {category.id for category in categories}:   # a retired one, kept until changed
        categories.insert(0, complaint.category)
    form.category.choices = [(c.id, c.display_name(current_locale())) for c in categories]
    form.held_criteria = tuple(name for name in severity.TICKED if getattr(complaint, name))
    if not submitted:
        form.level.data, form.category.data, form.kind.data = complaint.level, complaint.category_id, complaint.kind.value
        for name in ("collective", "collective_count", "litigation", "media", "compensation"):
            getattr(form, name).data = getattr(complaint, name)
    return form


def _reclassify(complaint, form):
    reclassify_complaint(complaint, current_user, Classification(
        form.level.data, form.category.data, ComplaintKind(form.kind.data), form.collective.data, form.litigation.data,
        form.media.data, form.compensation.data, form.collective_count.data), form.reason.data.strip(),
        expected_version=form.version.data)


def _handover_form(complaint: Complaint, submitted: bool = False) -> HandOverForm:
    form = _new(HandOverForm, "handover", submitted)
    form.new_owner.choices = [(0, _("Choose…"))] + [(u.id, u.name) for u in handover.colleagues(complaint.owner)]
    return form


def _handover(complaint, form):
    successor = db.session.get(User, form.new_owner.data)
    if successor is None:
        raise FieldRefused("new_owner", str(handover.NOT_A_SUCCESSOR))
    handover.hand_over_complaint(complaint, current_user, successor, form.reason.data.strip(),
                                 expected_version=form.version.data)


class FieldRefused(Exception):
    """A value of the form the rules do not allow: the form comes back with this message under the
    field and the typed text kept (422), instead of a 403 page that drops it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _dispatch(complaint, form):
    unit = db.session.get(Unit, form.unit.data)
    assignee = db.session.get(User, form.assignee.data) if form.assignee.data else None
    if unit is None or unit.id == complaint.unit_id:
        raise FieldRefused("unit", _("Choose a department or a branch."))
    if assignee is not None and not policy.may_handle_for(assignee, unit):
        raise FieldRefused("assignee", _("%(person)s is not in %(unit)s: choose a person of that department, or "
                                         "the whole department.", person=assignee.name,
                                         unit=unit.display_name(current_locale())))
    complaints.dispatch_complaint(complaint, current_user, unit, assignee, (form.note.data or "").strip(),
                           expected_version=form.version.data)


def _adjust(complaint, form):
    try:
        complaints.adjust_deadline(complaint, current_user, form.deadline.data, clock.from_local(form.new_due.data),
                            form.reason.data.strip(), expected_version=form.version.data)
    except deadlines.BadAdjustment as error:
        if error.latest is None:
            raise FieldRefused("new_due", _("The new due time must be in the future.")) from None
        raise FieldRefused("new_due", _("This clock may be set at the latest to %(latest)s: the regulatory ceiling "
                                        "moves only through an extension (with the reason and the customer told).",
                                        latest=local_datetime(error.latest))) from None


def _conflict_message() -> str:
    return _("This complaint is about that unit or person; choose someone else (回避).")


# Each action on the complaint page: who may, its form, and the transition it performs.
ACTIONS = {
    "dispatch": (policy.can_dispatch, _dispatch_form, _dispatch),
    "assign": (policy.can_assign, _assign_form, _assign),
    "plan": (policy.can_submit_plan, PlanForm, lambda c, f: complaints.submit_plan(
        c, current_user, f.steps.data.strip(), f.responsible.data.strip(), f.due_date.data, f.compensation.data,
        expected_version=f.version.data)),
    "review": (policy.can_review_plan, ReviewForm, lambda c, f: complaints.review_plan(
        c, current_user, f.decision.data == "approve", (f.comment.data or "").strip(),
        expected_version=f.version.data)),
    "answer": (policy.can_answer, AnswerForm, lambda c, f: complaints.answer_complaint(
        c, current_user, f.cause.data.strip(), f.result.data.strip(), f.corrective_action.data.strip(),
        f.preventive_action.data.strip(), expected_version=f.version.data)),
    "return": (policy.can_decide_answer, ReturnForm, lambda c, f: complaints.return_answer(
        c, current_user, f.comment.data.strip(), expected_version=f.version.data)),
    "result": (policy.can_give_result, ResultForm, lambda c, f: complaints.give_result(
        c, current_user, f.result.data.strip(), ContactChannel(f.channel.data), expected_version=f.version.data)),
    "invalid": (policy.can_judge_validity, InvalidForm, lambda c, f: complaints.judge_invalid(
        c, current_user, f.reason.data.strip(), f.reply.data.strip(), expected_version=f.version.data)),
    "contact": (policy.can_log_contact, ContactForm, lambda c, f: complaints.log_contact(
        c, current_user, ContactChannel(f.channel.data), f.content.data.strip())),
    "note": (policy.can_log_contact, NoteForm, lambda c, f: complaints.add_progress_note(c, current_user, f.text.data.strip())),
    "visit": (policy.can_record_visit, VisitForm, lambda c, f: complaints.record_return_visit(
        c, current_user, None if f.rating.data == NOT_REACHED else Satisfaction(f.rating.data),
        (f.comment.data or "").strip(),
        expected_version=f.version.data)),
    "escalate": (policy.can_escalate, EscalateForm, lambda c, f: complaints.escalate_complaint(
        c, current_user, f.reason.data.strip(), expected_version=f.version.data)),
    "takeover": (policy.can_take_over, TakeOverForm, lambda c, f: complaints.take_over(
        c, current_user, expected_version=f.version.data)),
    "adjust": (policy.can_adjust_deadline, _adjust_form, lambda c, f: _adjust(c, f)),
    "extend": (policy.can_extend_ceiling, ExtendForm, lambda c, f: complaints.extend_decision_deadline(
        c, current_user, f.reason.data.strip(), f.customer_told.data, expected_version=f.version.data)),
    "notice": (policy.can_send_notice, NoticeForm, lambda c, f: complaints.send_decision_notice(
        c, current_user, again=f.again.data == "1")),
    "review_request": (policy.can_request_review, ReviewRequestForm, lambda c, f: complaints.request_review(
        c, current_user, f.reason.data.strip(), expected_version=f.version.data)),
    "withdraw": (policy.can_withdraw, WithdrawForm, lambda c, f: complaints.withdraw_complaint(
        c, current_user, f.reason.data.strip(), expected_version=f.version.data)),
    "reclassify": (policy.can_reclassify, _reclassify_form, lambda c, f: _reclassify(c, f)),
    "handover": (policy.can_hand_over, _handover_form, lambda c, f: _handover(c, f)),
    "decide": (policy.can_decide_as_leader, LeaderDecisionForm, lambda c, f: complaints.decide_as_leader(
        c, current_user, f.decision.data.strip(), expected_version=f.version.data)),
    "fields": (extra_fields.allowed, extra_fields.form_for, lambda c, f: extra_fields.correct(c, f, current_user)),
}


# Forms whose choices depend on the complaint are built by a function of it.
BUILT_FOR_THE_COMPLAINT = {"dispatch", "assign", "adjust", "reclassify", "handover", "fields"}


def _blank(key: str, complaint: Complaint):
    """An empty form of the action; each form's fields are prefixed with the action, so the ids
    of the many forms on one page never collide."""
    make = ACTIONS[key][1]
    if key in BUILT_FOR_THE_COMPLAINT:
        return make(complaint)
    return _new(make, key, submitted=False)


def _actions(complaint: Complaint) -> tuple[list[str], list[str]]:
    """The actions the current user may take on this complaint now: those that lead the page, and
    the others, behind "more actions"."""
    user = current_user._get_current_object()   # once, not a proxy lookup per check
    allowed = [key for key, (may, *_rest) in ACTIONS.items() if may(user, complaint)]
    leading = leading_actions(complaint, allowed)
    return leading, [key for key in allowed if key not in leading]


def _forms(complaint: Complaint, keys: list[str], submitted: dict) -> dict:
    """The forms of these actions; a submitted one is kept."""
    forms = {key: submitted.get(key) or _blank(key, complaint) for key in keys}
    for form in forms.values():
        if hasattr(form, "version") and form.version.data is None:
            form.version.data = complaint.version
    return forms


def _render(complaint: Complaint, status: int = 200, submitted: dict | None = None, conflict: dict | None = None):
    known_empty_lists(complaint)
    events = timeline_shown(complaint)
    submitted = submitted or {}
    leading, others = _actions(complaint)
    # The disclosure opens by itself when the form the user sent is behind it (its errors must show),
    # or when asked to (its link without JavaScript). Otherwise its forms are built when it is opened
    # (more_actions): most readers act on the leading ones, and building every form cost more than
    # the rest of the page.
    more_open = any(key not in leading for key in submitted) or request.args.get("actions") == "all"
    forms = _forms(complaint, leading + (others if more_open else []), submitted)
    return render_template("complaints/show.html", complaint=complaint, events=events,
                           changes=describe_changes(events),
                           similar=similar_cases(complaint), forms=forms,
                           leading=leading, others=others, more_open=more_open,
                           waiting=next_deadline(complaint), conflict=conflict), status


def _typed(form) -> list[tuple[str, str]]:
    """What the user filled in, field by field, as they would read it (a choice by its label)."""
    typed = []
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField") or field.name.endswith("version"):
            continue
        if isinstance(field, BooleanField):
            value = _("Yes") if field.data else ""
        elif isinstance(field, SelectField):
            value = next((str(label) for _key, label, selected, *_rest in field.iter_choices() if selected), "")
            value = value if field.data else ""
        else:
            value = field.data if isinstance(field.data, str) else (field.raw_data or [""])[0]
        if value and str(value).strip():
            typed.append((str(field.label.text), str(value)))
    return typed


def _stale(complaint: Complaint, action: str, form):
    """409: the current state, with what the user typed next to what changed meanwhile; the form keeps
    the text (on the current version, so sending it again is a decision taken on what is now stored)."""
    flash(_("Someone else changed this complaint while you had it open. Nothing of yours was "
            "saved over it: here is its current state, please check it and try again."), "error")
    seen = form.version.data if hasattr(form, "version") and isinstance(form.version.data, int) else None
    missed = min(max(complaint.version - seen, 1), 10) if seen is not None else 1
    meanwhile = list(reversed(db.session.scalars(
        select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action != "viewed")
        .order_by(ComplaintEvent.id.desc()).limit(missed)).all()))
    still_allowed = ACTIONS[action][0](current_user, complaint)
    if still_allowed and hasattr(form, "version"):
        form.version.data, form.version.raw_data = complaint.version, None   # raw_data would render first
    conflict = {"typed": _typed(form), "kept": still_allowed, "events": meanwhile,
                "changes": describe_changes(meanwhile)}
    return _render(complaint, 409, {action: form} if still_allowed else None, conflict)


def _posted_form(action: str, complaint: Complaint):
    make_form = ACTIONS[action][1]
    return make_form(complaint, submitted=True) if action in BUILT_FOR_THE_COMPLAINT else make_form(prefix=action)


@bp.get("/<int:complaint_id>")
@reads_only
@login_required
def show(complaint_id: int):
    complaint = page_complaint_or_404(complaint_id)
    timeline.record_view(complaint, current_user, full_numbers=True)   # the page shows them whole
    page = _render(complaint)
    # After rendering: the page goes out only once its view is recorded, and the commit's expiry
    # does not make the page read the complaint again.
    db.session.commit()
    return page


@bp.get("/<int:complaint_id>/actions")
@login_required
def more_actions(complaint_id: int):
    """The forms behind "more actions", asked for by the page (HTMX) when its reader opens them."""
    complaint = visible_complaint_or_404(complaint_id)
    timeline.record_view(complaint, current_user)   # they show some of it (deadlines, the own fields)
    _leading, others = _actions(complaint)
    page = render_template("complaints/_more_actions.html", complaint=complaint, others=others,
                           forms=_forms(complaint, others, {}))
    db.session.commit()
    return page


@bp.get("/<int:complaint_id>/dispatch/handlers")
@login_required
def dispatch_handlers(complaint_id: int):
    """The dispatch form's people of the unit just chosen (HTMX, swapped in when the unit changes)."""
    complaint = visible_complaint_or_404(complaint_id)
    if not policy.can_dispatch(current_user, complaint):
        abort(403)
    form = _new(DispatchForm, "dispatch", submitted=False)
    chosen = request.args.get("dispatch-unit", 0, type=int)
    suggestion = routing.suggested_department(complaint)
    form.suggestion = suggestion if suggestion and suggestion.unit.id == chosen else None   # why, when it is the one
    _offer_handlers(form, chosen)
    return render_template("complaints/_dispatch_handlers.html", form=form)


@bp.post("/<int:complaint_id>/<action>")
@login_required
def act(complaint_id: int, action: str):
    """Validate the action's form, run its transition, commit. A bad form re-renders the page with
    messages (422); a concurrent change re-renders the fresh state (409); nothing is overwritten."""
    if action not in ACTIONS:
        abort(404)
    complaint = visible_complaint_or_404(complaint_id)
    allowed, transition = ACTIONS[action][0], ACTIONS[action][2]
    if not allowed(current_user, complaint):
        seen = request.form.get(f"{action}-version", type=int)
        if seen is not None and seen != complaint.version:
            # someone else's change is why it is no longer possible
            return _stale(complaint, action, _posted_form(action, complaint))
        abort(403)
    form = _posted_form(action, complaint)
    if not form.validate():
        return _render(complaint, 422, {action: form})
    try:
        result = transition(complaint, form)
        told = notify.told()
        db.session.commit()
    except (StaleComplaint, StaleDataError):
        db.session.rollback()
        return _stale(db.session.get(Complaint, complaint.id), action, form)
    except ConflictOfInterest:
        db.session.rollback()
        (form.unit if hasattr(form, "unit") else form.assignee).errors = [_conflict_message()]
        return _render(db.session.get(Complaint, complaint.id), 422, {action: form})
    except complaints.NoticeSentAlready as sent:
        db.session.rollback()
        return render_template("complaints/notice_again.html", complaint=complaint, form=form, sent_at=sent.at)
    except FieldRefused as refusal:
        db.session.rollback()
        getattr(form, refusal.field).errors = [refusal.message]
        return _render(db.session.get(Complaint, complaint.id), 422, {action: form})
    except Refused as refusal:   # a value the rules refuse, shown on its field with the typed text kept
        db.session.rollback()
        if not (refusal.field and hasattr(form, refusal.field)):
            raise
        getattr(form, refusal.field).errors = [str(refusal.message)]
        return _render(db.session.get(Complaint, complaint.id), 422, {action: form})
    flash(confirmation(action, complaint, form, result, told), "success")
    return redirect(url_for("complaints.show", complaint_id=complaint.id), 303)


@bp.get("/<int:complaint_id>/notice")
@login_required
def notice(complaint_id: int):
    """The decision notice, printable on A4: what was checked, the basis and reasons, the remedies."""
    complaint = visible_complaint_or_404(complaint_id)
    if complaint.result_given_at is None:
        abort(404)
    timeline.record_view(complaint, current_user)
    db.session.commit()
    return render_template("complaints/notice.html", complaint=complaint,
                           organisation=org_settings.display_name())
