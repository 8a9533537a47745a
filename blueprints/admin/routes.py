from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.admin import bp
from blueprints.admin.forms import CalendarOverrideForm, PlanApprovalForm, RepeatRuleForm, RuleForm, UnitHoursForm
from blueprints.ui import role_required
from extensions import db, gettext as _
from models import CalendarOverride, Category, DeadlineKind, Role, RoutingRule, Unit, User
from services import audit, capa, deadlines, org_settings, policy, severity, stuck_plans
from services.labels import COUNTING_LABELS, LEADERS_PLANS_LABELS
from services.rules import DEFAULTS, Rule, rule, set_rule

MINUTE = timedelta(minutes=1)
HOURS = ("work_start", "work_end")
OVERRIDE = ("workday", "note")


def _minutes(value: Rule) -> dict:
    return {name: int(getattr(value, name) / MINUTE) for name in ("period", "remind_before", "escalate_after")}


def _render_index(status: int = 200, submitted: dict | None = None):
    """The organisation as configured: units (with their working hours), users, categories, routing; first,
    the plans nobody may approve, which only the administrator can unblock."""
    units = db.session.scalars(select(Unit).order_by(Unit.code)).all()
    users = db.paginate(select(User).order_by(User.unit_id, User.username), per_page=50, error_out=False)
    categories = db.session.scalars(select(Category).order_by(Category.id)).all()
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.category_id)).all()
    hours = {u.id: (submitted or {}).get(u.id) or UnitHoursForm(
        formdata=None, prefix=f"unit{u.id}", work_start=u.work_start, work_end=u.work_end) for u in units}
    return render_template("admin/index.html", units=units, users=users, categories=categories, rules=rules,
                           hours=hours, stuck=stuck_plans.waiting_on_nobody()), status


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return _render_index()


@bp.post("/units/<int:unit_id>/hours")
@role_required(Role.ADMIN)
def unit_hours(unit_id: int):
    """A unit's own working hours (blank: the organisation's), for clocks started afterwards."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    form = UnitHoursForm(prefix=f"unit{unit_id}")
    if not form.validate():
        return _render_index(422, {unit_id: form})
    before = audit.snapshot(unit, HOURS)
    unit.work_start, unit.work_end = form.work_start.data, form.work_end.data
    audit.record_admin("unit_hours_changed", f"unit {unit.code}", audit.diff(before, audit.snapshot(unit, HOURS)))
    db.session.commit()
    return redirect(url_for("admin.index"), 303)


def _rule_forms(submitted: dict | None = None) -> list:
    """One form per clock (and level), filled with the rule in force, with how the clock counts."""
    rows = []
    for kind, level in DEFAULTS:
        if kind in (DeadlineKind.CAPA_SIGNOFF, DeadlineKind.CAPA_RECORD) and not capa.enabled():   # a clock of the profile's own record
            continue
        key = f"{kind.value}-{level or 0}"
        form = (submitted or {}).get(key)
        if form is None:
            form = RuleForm.showing(key, _minutes(rule(kind, level)))
        rows.append((kind, level, form, deadlines.counting(kind)))
    return rows


def _plan_approval_form(submitted: bool = False) -> PlanApprovalForm:
    """The administrator's choice of plan approvers; the named person is anyone who may hold cases but a
    leader or the service center, who are asked before (policy.PLAN_FALLBACK_ROLES)."""
    chosen = org_settings.plan_approval()
    form = PlanApprovalForm(prefix="plans") if submitted else PlanApprovalForm(
        formdata=None, prefix="plans", leaders=chosen["leaders"], fallback=chosen["fallback"] or 0)
    form.leaders.choices = list(LEADERS_PLANS_LABELS.items())
    people = db.session.scalars(select(User).where(User.active.is_(True), User.role.in_(policy.PLAN_FALLBACK_ROLES))
                                .order_by(User.unit_id, User.username))
    form.fallback.choices = [(0, _("Nobody named"))] + [(u.id, f"{u.name} ({u.username})") for u in people]
    return form


def _render_rules(rows: list, plans: PlanApprovalForm | None = None, status: int = 200):
    return render_template("admin/rules.html", rows=rows, COUNTING_LABELS=COUNTING_LABELS,
                           plans=plans or _plan_approval_form()), status


@bp.get("/rules")
@role_required(Role.ADMIN)
def rules():
    return _render_rules(_rule_forms())


@bp.post("/rules/plans")
@role_required(Role.ADMIN)
def save_plan_approval():
    """A leader's own plan goes to the center or another leader; a plan no seat may approve, to the named person."""
    form = _plan_approval_form(submitted=True)
    if not form.validate():
        return _render_rules(_rule_forms(), form, 422)
    before = org_settings.set_plan_approval(form.leaders.data, form.fallback.data or None)
    audit.record_admin("plan_approval_changed", "plan approvers", audit.diff(before, org_settings.plan_approval()))
    db.session.commit()
    flash(_("Saved. Plans waiting now and from now on go to the approvers you chose."), "info")
    return redirect(url_for("admin.rules"), 303)


@bp.post("/rules/<kind>/<int:level>")
@role_required(Role.ADMIN)
def save_rule(kind: str, level: int):
    try:
        deadline_kind = DeadlineKind(kind)
    except ValueError:
        abort(404)
    key = (deadline_kind, level or None)
    if key not in DEFAULTS:
        abort(404)
    form = RuleForm(prefix=f"{kind}-{level}")
    if not form.validate():
        return _render_rules(_rule_forms({f"{kind}-{level}": form}), status=422)
    before = rule(deadline_kind, level or None)
    typed = form.minutes()
    after = Rule(typed["period"] * MINUTE, typed["remind_before"] * MINUTE, typed["escalate_after"] * MINUTE)
    set_rule(deadline_kind, level or None, after)
    audit.record_admin("rule_changed", f"rule {kind}" + (f" level {level}" if level else ""),
                       audit.diff(_minutes(before), _minutes(after)))
    db.session.commit()
    flash(_("Saved. Clocks started from now on follow the new rule; running ones keep their time."), "info")
    return redirect(url_for("admin.rules"), 303)


@bp.route("/repeat-rule", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def repeat_rule():
    """How alike complaints must be written for the repeat rule (3 customers → major) to count them
    as the same issue, beside the same object complained about."""
    in_force = severity.repeat_similarity()
    form = RepeatRuleForm() if request.method == "POST" else RepeatRuleForm(threshold=f"{in_force:.2f}")
    if form.validate_on_submit():
        if form.value != round(in_force, 2):
            severity.set_repeat_similarity(form.value)
            audit.record_admin("repeat_rule_changed", "repeat rule",
                               audit.diff({"similarity": round(in_force, 2)}, {"similarity": form.value}))
        db.session.commit()
        flash(_("Saved. Complaints registered from now on are counted with the new similarity."), "info")
        return redirect(url_for("admin.repeat_rule"), 303)
    return render_template("admin/repeat_rule.html", form=form, in_force=in_force,
                           counts_repeats=severity.applies("repeated")), 422 if form.errors else 200


@bp.route("/calendar", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def calendar_overrides():
    """Working days the official calendar gets wrong for us, or does not know yet."""
    form = CalendarOverrideForm()
    if form.validate_on_submit():
        override = db.session.get(CalendarOverride, form.day.data) or CalendarOverride(day=form.day.data)
        before = audit.snapshot(override, OVERRIDE) if override.workday is not None else {}
        override.workday = form.workday.data == "1"
        override.note = (form.note.data or "").strip()
        db.session.add(override)
        audit.record_admin("calendar_changed", f"day {form.day.data.isoformat()}",
                           audit.diff(before, audit.snapshot(override, OVERRIDE)))
        db.session.commit()
        return redirect(url_for("admin.calendar_overrides"), 303)
    page = db.paginate(select(CalendarOverride).order_by(CalendarOverride.day.desc()), per_page=50, error_out=False)
    return render_template("admin/calendar.html", form=form, page=page), 422 if form.errors else 200


@bp.post("/calendar/<day>/delete")
@role_required(Role.ADMIN)
def delete_override(day: str):
    try:
        override = db.session.get(CalendarOverride, date.fromisoformat(day))
    except ValueError:
        abort(404)
    if override is None:
        abort(404)
    audit.record_admin("calendar_removed", f"day {override.day.isoformat()}",
                       audit.diff(audit.snapshot(override, OVERRIDE), {}))
    db.session.delete(override)
    db.session.commit()
    return redirect(url_for("admin.calendar_overrides"), 303)
