import uuid
from dataclasses import replace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select, union_all

from blueprints.complaints.next_step import registration_confirmation
from blueprints.intake import bp
from blueprints.intake.forms import RegisterForm
from blueprints.listing import paginate
from blueprints.ui import current_locale, is_htmx, reads_only, role_required
from extensions import db
from models import Channel, Complaint, ComplaintKind, Role
from services import clock, custom_fields, history, identity, notify, policy
from services.registration import Registration, register_complaint
from services.policy import BRANCH_ROLES, REGISTER_ROLES

FORM_NUMBER_FIELDS = {kind: f"customer_{kind}" for kind in identity.KINDS}


@bp.get("/")
@reads_only
@role_required(*REGISTER_ROLES)
def mine():
    """The complaints I registered and still answer for (first-responsibility), and those assigned to me."""
    ids, total = _mine(current_user._get_current_object(), request.args.get("page", 1, type=int))
    page = paginate(None, ids=ids, total=total)
    template = "complaints/_table.html" if is_htmx() else "intake/mine.html"
    return render_template(template, page=page)


def _mine(user, page: int) -> tuple[Select, Select]:
    """The ids of `user`'s complaints in the list's order, for page `page`, and the statement counting
    them: open ones first, nearest deadline first; closed ones (no running clock) after, newest first.
    Those one owns and those one is assigned are each read from an index in that order, as far as the
    page needs, and merged: an OR of the two had all of them sorted (320 ms for 170,000). One sees
    what one owns in every role that registers (services.policy); the assigned ones are checked."""
    owned = select(Complaint.id, Complaint.next_due_at).where(Complaint.owner_id == user.id)
    assigned = select(Complaint.id, Complaint.next_due_at).where(
        Complaint.assignee_id == user.id, Complaint.owner_id != user.id, policy.visible_complaints(user))
    reach = max(page, 1) * current_app.config["PAGE_SIZE"]   # (the page number is bounded: ui.check_page_number)

    def in_order(columns) -> tuple:   # of each part and of the two merged: the indexes' order
        return columns.next_due_at.asc().nulls_last(), columns.id.desc()

    def first(part):
        part = part.order_by(*in_order(Complaint)).limit(reach).subquery()
        return select(part.c.id, part.c.next_due_at)
    both = union_all(first(owned), first(assigned)).subquery()
    ids = select(both.c.id).order_by(*in_order(both.c))
    return ids, select(func.count()).select_from(union_all(owned, assigned).subquery())


def _usual_channel(user) -> Channel:
    """How complaints usually reach the registering user: a branch at its counter, the service center
    (a hotline's agents) by the hotline, everyone else by phone. The form offers every channel."""
    if user.role in BRANCH_ROLES:
        return Channel.COUNTER
    return Channel.HOTLINE if user.role == Role.CENTER else Channel.PHONE


@bp.route("/new", methods=["GET", "POST"])
@reads_only   # the empty form; what is posted is written in one transaction
@role_required(*REGISTER_ROLES)
def register():
    form = RegisterForm(locale=current_locale(), for_validation=request.method == "POST")
    if request.method == "GET":
        form.submission_token.data = uuid.uuid4().hex
        form.received_at.data = clock.to_local(clock.now()).replace(tzinfo=None, second=0, microsecond=0)
        form.channel.data = _usual_channel(current_user).value
    valid = request.method == "POST" and form.validate_on_submit()
    extra, extra_errors = (custom_fields.validate(custom_fields.typed(request.form), form.category.data)
                           if request.method == "POST" else ({}, {}))
    if valid and not extra_errors:
        token = form.submission_token.data or ""
        if len(token) != 32:
            abort(400)
        complaint, created = register_complaint(current_user, token, Registration(
            customer_name=form.customer_name.data.strip(), customer_contact=form.customer_contact.data.strip(),
            customer_ref=(form.customer_ref.data or "").strip(), channel=Channel(form.channel.data),
            received_at=clock.from_local(form.received_at.data), content=form.content.data.strip(),
            demand=form.demand.data.strip(), object_text=form.object_text.data.strip(),
            category_id=form.category.data, level=form.level.data, kind=ComplaintKind(form.kind.data),
            nature=form.chosen_nature(),
            collective=form.collective.data, collective_count=form.collective_count.data,
            litigation=form.litigation.data, media=form.media.data,
            compensation=form.compensation.data, regulator_forwarded=form.regulator_forwarded.data,
            solved_on_spot=(form.on_spot_result.data or "").strip() if form.solved_on_spot.data else None,
            object_unit_id=form.object_unit.data or None, object_user_id=form.object_user.data or None,
            extra=extra, **form.customer_numbers(), **_incident_choice(form)), new_if_changed=True)
        # Read before the commit, which expires the complaint (reading it after would load it again)
        # and forgets who was told; said only once the commit holds.
        complaint_id, confirmation = complaint.id, registration_confirmation(complaint, notify.told(), created)
        db.session.commit()
        flash(confirmation, "success")
        return redirect(url_for("complaints.show", complaint_id=complaint_id), 303)
    form.offer_all()
    status = 422 if form.errors or extra_errors else 200
    return render_template("intake/register.html", form=form, **_extra_fields(form.category.data, request.form,
                                                                              extra_errors)), status


@bp.get("/new/fields")
@role_required(*REGISTER_ROLES)
def extra_fields():
    """The organisation's own fields of the chosen category (HTMX, swapped in when the category changes);
    values typed into fields the new category also asks for are kept."""
    category = request.args.get("category", 0, type=int)
    return render_template("intake/_extra_fields.html", fields_only=True,
                           **_extra_fields(category, request.args, {}))


def _extra_fields(category_id, typed, errors: dict) -> dict:
    """The fields of the chosen category, those of the others (shown without script), the typed values."""
    every = custom_fields.active_fields()
    chosen = [f for f in every if f.applies_to(category_id or None)]
    others = [f for f in every if f not in chosen]
    return {"extra_fields": chosen, "other_extra_fields": others, "extra_errors": errors,
            "extra_typed": custom_fields.typed(typed), "extra_prefix": custom_fields.FORM_PREFIX}


@bp.post("/new/validate/<field>")
@role_required(*REGISTER_ROLES)
def validate_field(field: str):
    """Live validation: the message for one field of the register form (HTMX)."""
    form = RegisterForm(locale=current_locale())
    if field not in form or field == "submission_token":
        abort(404)
    form.validate()
    return render_template("intake/_field_error.html", field=form[field])


@bp.get("/history")
@role_required(*REGISTER_ROLES)
def customer_history():
    """While the form is filled: the customer's open complaints and those of the last year, found by
    the numbers typed so far (HTMX, under the fields); only what the user may open, the rest counted."""
    numbers = identity.numbers_from(request.args, FORM_NUMBER_FIELDS)
    if not numbers.mobile:   # a contact that is a mobile number identifies the customer too
        numbers = replace(numbers, mobile=identity.mobile_in(str(request.args.get("customer_contact", ""))[:64]))
    return render_template("intake/_history.html", numbers=numbers, found=history.recent(current_user, numbers))


def _incident_choice(form: RegisterForm) -> dict:
    if form.kind.data != ComplaintKind.CONCENTRATED.value:
        return {}
    new = (form.new_incident.data or "").strip()
    return {"new_incident": new} if new else {"incident_id": form.incident.data}
