"""Units, users, categories with their routing, routing rules by object, and the e-mail check
(administrator only)."""
from contextlib import contextmanager

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from blueprints.admin import bp
from blueprints.admin.forms import (CategoryFields, CategoryForm, MailCheckForm, ObjectRuleForm, UnitFields, UnitForm,
                                   UserFields, UserForm)
from blueprints.ui import current_locale, role_required
from extensions import db, gettext as _
from models import Category, ObjectRoutingRule, Role, RoutingRule, Unit, UnitKind, User
from services import organisation
from services.labels import ROLE_LABELS, UNIT_KIND_LABELS
from services.organisation import Refused


@contextmanager
def refusal_shown(form=None):
    """Around a service call and its commit: a refusal (organisation.Refused) rolls the change back
    and is shown on its field, or above the form; the view goes on after the block to answer 422."""
    try:
        yield
    except Refused as refusal:
        db.session.rollback()
        if refusal.field and hasattr(form, refusal.field):
            getattr(form, refusal.field).errors = [str(refusal.message)]
        else:
            flash(str(refusal.message), "error")


def _get(model, object_id: int):
    return db.session.get(model, object_id) or abort(404)


# Units

def _unit_choices(exclude: Unit | None = None) -> list:
    units = db.session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.code).limit(2000))
    return [(0, "—")] + [(u.id, f"{u.code} · {u.display_name(current_locale())}") for u in units if u is not exclude]


def _unit_form(submitted: bool) -> UnitForm:
    form = UnitForm() if submitted else UnitForm(formdata=None)
    form.parent.choices = _unit_choices()
    form.kind.choices = [(k.value, label) for k, label in UNIT_KIND_LABELS.items()]
    return form


def _render_units(form: UnitForm, status: int = 200):
    units = db.session.scalars(select(Unit).order_by(Unit.code).limit(2000)).all()
    children: dict = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    return render_template("admin/units.html", form=form, children=children, kinds=UNIT_KIND_LABELS), status


@bp.get("/units")
@role_required(Role.ADMIN)
def units():
    """The organisation as a tree: head office, its branches, departments and service center."""
    return _render_units(_unit_form(submitted=False))


@bp.post("/units")
@role_required(Role.ADMIN)
def create_unit():
    form = _unit_form(submitted=True)
    if form.validate():
        with refusal_shown(form):
            unit = organisation.create_unit(form.code.data.strip(), form.name.data.strip(), form.name_en.data.strip(),
                                            UnitKind(form.kind.data), db.session.get(Unit, form.parent.data))
            db.session.commit()
            flash(_("Unit %(code)s created.", code=unit.code), "info")
            return redirect(url_for("admin.units"), 303)
    return _render_units(form, 422)


def _render_unit(unit: Unit, form: UnitFields, status: int = 200):
    return render_template("admin/unit.html", unit=unit, form=form, kinds=UNIT_KIND_LABELS), status


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_unit(unit_id: int):
    """Rename a unit or move it under another one."""
    unit = _get(Unit, unit_id)
    if request.method == "GET":
        return _render_unit(unit, _unit_edit_form(unit))
    form = UnitFields()
    form.parent.choices = _unit_choices(exclude=unit)
    if request.method == "POST":
        if form.validate():
            with refusal_shown(form):
                organisation.update_unit(unit, form.name.data.strip(), form.name_en.data.strip(),
                                         db.session.get(Unit, form.parent.data), form.avoids_as_a_whole.data)
                db.session.commit()
                flash(_("Saved."), "info")
                return redirect(url_for("admin.units"), 303)
        return _render_unit(_get(Unit, unit_id), form, 422)


@bp.post("/units/<int:unit_id>/active")
@role_required(Role.ADMIN)
def unit_active(unit_id: int):
    with refusal_shown():
        organisation.set_unit_active(_get(Unit, unit_id), request.form.get("active") == "1")
        db.session.commit()
        return redirect(url_for("admin.edit_unit", unit_id=unit_id), 303)
    return _render_unit(_get(Unit, unit_id), _unit_edit_form(_get(Unit, unit_id)), 422)


@bp.post("/units/<int:unit_id>/delete")
@role_required(Role.ADMIN)
def delete_unit(unit_id: int):
    unit = _get(Unit, unit_id)
    with refusal_shown():
        code = unit.code
        organisation.delete_unit(unit)
        db.session.commit()
        flash(_("Unit %(code)s deleted.", code=code), "info")
        return redirect(url_for("admin.units"), 303)
    return _render_unit(_get(Unit, unit_id), _unit_edit_form(_get(Unit, unit_id)), 422)


def _unit_edit_form(unit: Unit) -> UnitFields:
    form = UnitFields(formdata=None, name=unit.name, name_en=unit.name_en, parent=unit.parent_id or 0,
                      avoids_as_a_whole=unit.avoids_as_a_whole)
    form.parent.choices = _unit_choices(exclude=unit)
    return form


# Users

def _user_choices(form) -> None:
    form.role.choices = [(r.value, label) for r, label in ROLE_LABELS.items()]
    form.unit.choices = _unit_choices()


def _render_users(form: UserForm, status: int = 200):
    query = select(User).order_by(User.username)
    search = request.args.get("q", "").strip()
    if search:
        pattern = f"%{search}%"
        query = query.where(or_(User.username.ilike(pattern), User.name.ilike(pattern), User.email.ilike(pattern)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], max_per_page=100, error_out=False)
    return render_template("admin/users.html", form=form, page=page, search=search), status


@bp.get("/users")
@role_required(Role.ADMIN)
def users():
    form = UserForm(formdata=None)
    _user_choices(form)
    return _render_users(form)


def _show_password(user: User, password: str, created: bool):
    """The one-time password, shown on this response only (never stored in clear, never sent by e-mail)."""
    return render_template("admin/password.html", user=user, password=password, created=created)


@bp.post("/users")
@role_required(Role.ADMIN)
def create_user():
    form = UserForm()
    _user_choices(form)
    if form.validate():
        with refusal_shown(form):
            user, password = organisation.create_user(
                form.username.data.strip(), form.name.data.strip(), form.email.data.strip(), Role(form.role.data),
                db.session.get(Unit, form.unit.data) or abort(400), title=(form.title.data or "").strip())
            db.session.commit()
            return _show_password(user, password, created=True)
    return _render_users(form, 422)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_user(user_id: int):
    """Name, e-mail, role and unit; disable or enable; reset the password."""
    user = _get(User, user_id)
    if request.method == "GET":
        form = UserFields(formdata=None, name=user.name, email=user.email, role=user.role.value, unit=user.unit_id,
                          title=user.title or "")
    else:
        form = UserFields()
    _user_choices(form)
    if request.method == "POST":
        if form.validate():
            with refusal_shown(form):
                organisation.update_user(user, form.name.data.strip(), form.email.data.strip(), Role(form.role.data),
                                         db.session.get(Unit, form.unit.data) or abort(400), current_user,
                                         title=(form.title.data or "").strip())
                db.session.commit()
                flash(_("Saved."), "info")
                return redirect(url_for("admin.edit_user", user_id=user_id), 303)
        return render_template("admin/user.html", user=_get(User, user_id), form=form), 422
    return render_template("admin/user.html", user=user, form=form)


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def user_active(user_id: int):
    with refusal_shown():
        organisation.set_user_active(_get(User, user_id), request.form.get("active") == "1", current_user)
        db.session.commit()
        return redirect(url_for("admin.edit_user", user_id=user_id), 303)
    user = _get(User, user_id)
    form = UserFields(formdata=None, name=user.name, email=user.email, role=user.role.value, unit=user.unit_id,
                          title=user.title or "")
    _user_choices(form)
    return render_template("admin/user.html", user=user, form=form), 422


@bp.post("/users/<int:user_id>/password")
@role_required(Role.ADMIN)
def reset_password(user_id: int):
    user = _get(User, user_id)
    password = organisation.reset_password(user)
    db.session.commit()
    return _show_password(user, password, created=False)


# Categories and routing

def _departments() -> list:
    units = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.DEPARTMENT, Unit.active.is_(True))
                               .order_by(Unit.code))
    return [(0, _("No suggestion"))] + [(u.id, u.display_name(current_locale())) for u in units]


def _category_forms(submitted: dict | None = None) -> list:
    categories = db.session.scalars(select(Category).order_by(Category.id).limit(500)).all()
    routed = dict(db.session.execute(select(RoutingRule.category_id, RoutingRule.unit_id)).all())
    rows = []
    for category in categories:
        form = (submitted or {}).get(category.id) or CategoryFields(
            formdata=None, prefix=f"cat{category.id}", name=category.name, name_en=category.name_en,
            active=category.active, department=routed.get(category.id, 0))
        form.department.choices = _departments()
        rows.append((category, form))
    return rows


def _render_categories(new: CategoryForm, status: int = 200, submitted: dict | None = None):
    new.department.choices = _departments()
    return render_template("admin/categories.html", rows=_category_forms(submitted), new=new), status


@bp.get("/categories")
@role_required(Role.ADMIN)
def categories():
    """Categories, and the department each one's complaints are suggested to go to."""
    return _render_categories(CategoryForm(formdata=None, prefix="new"))


@bp.post("/categories")
@role_required(Role.ADMIN)
def create_category():
    form = CategoryForm(prefix="new")
    form.department.choices = _departments()
    if form.validate():
        with refusal_shown(form):
            organisation.create_category(form.code.data.strip(), form.name.data.strip(), form.name_en.data.strip(),
                                         form.active.data, db.session.get(Unit, form.department.data))
            db.session.commit()
            return redirect(url_for("admin.categories"), 303)
    return _render_categories(form, 422)


@bp.post("/categories/<int:category_id>")
@role_required(Role.ADMIN)
def save_category(category_id: int):
    category = _get(Category, category_id)
    form = CategoryFields(prefix=f"cat{category_id}")
    form.department.choices = _departments()
    if form.validate():
        with refusal_shown(form):
            organisation.update_category(category, form.name.data.strip(), form.name_en.data.strip(),
                                         form.active.data, db.session.get(Unit, form.department.data))
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("admin.categories"), 303)
    return _render_categories(CategoryForm(formdata=None, prefix="new"), 422, {category_id: form})


# Routing rules by object (投诉对象)

def _object_rule_form(submitted: bool, rule: ObjectRoutingRule | None = None) -> ObjectRuleForm:
    if submitted:
        form = ObjectRuleForm()
    elif rule is None:
        form = ObjectRuleForm(formdata=None)
    else:
        form = ObjectRuleForm(formdata=None, category=rule.category_id or 0, object_unit=rule.object_unit_id or 0,
                              object_keyword=rule.object_keyword or "", unit=rule.unit_id)
    locale = current_locale()
    categories = db.session.scalars(select(Category).order_by(Category.id).limit(500))
    form.category.choices = [(0, _("Any category"))] + [(c.id, c.display_name(locale)) for c in categories]
    form.object_unit.choices = _unit_choices()
    form.unit.choices = [(0, _("Choose…"))] + _departments()[1:]
    return form


def _object_rule_args(form: ObjectRuleForm) -> tuple:
    return (db.session.get(Category, form.category.data) if form.category.data else None,
            db.session.get(Unit, form.object_unit.data) if form.object_unit.data else None,
            (form.object_keyword.data or "").strip(), db.session.get(Unit, form.unit.data))


def _render_routing(form: ObjectRuleForm, status: int = 200):
    rules = db.session.scalars(select(ObjectRoutingRule).order_by(ObjectRoutingRule.id).limit(1000)).all()
    defaults = db.session.scalars(select(RoutingRule).order_by(RoutingRule.category_id)).all()
    return render_template("admin/routing.html", rules=rules, defaults=defaults, form=form), status


@bp.get("/routing")
@role_required(Role.ADMIN)
def routing():
    """Routing rules by what the complaint is about, ahead of each category's department."""
    return _render_routing(_object_rule_form(submitted=False))


@bp.post("/routing")
@role_required(Role.ADMIN)
def create_routing_rule():
    form = _object_rule_form(submitted=True)
    if form.validate():
        with refusal_shown(form):
            organisation.save_object_rule(None, *_object_rule_args(form))
            db.session.commit()
            flash(_("Routing rule created."), "info")
            return redirect(url_for("admin.routing"), 303)
    return _render_routing(form, 422)


@bp.route("/routing/<int:rule_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit_routing_rule(rule_id: int):
    rule = _get(ObjectRoutingRule, rule_id)
    if request.method == "GET":
        return render_template("admin/routing_rule.html", rule=rule, form=_object_rule_form(False, rule))
    form = _object_rule_form(submitted=True)
    if form.validate():
        with refusal_shown(form):
            organisation.save_object_rule(rule, *_object_rule_args(form))
            db.session.commit()
            flash(_("Saved."), "info")
            return redirect(url_for("admin.routing"), 303)
    return render_template("admin/routing_rule.html", rule=_get(ObjectRoutingRule, rule_id), form=form), 422


@bp.post("/routing/<int:rule_id>/delete")
@role_required(Role.ADMIN)
def delete_routing_rule(rule_id: int):
    organisation.delete_object_rule(_get(ObjectRoutingRule, rule_id))
    db.session.commit()
    flash(_("Routing rule deleted."), "info")
    return redirect(url_for("admin.routing"), 303)


# The e-mail check

@bp.route("/mail", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def mail_check():
    """Send a test e-mail through the configured SMTP server now and show what happened."""
    form = MailCheckForm() if request.method == "POST" else MailCheckForm(formdata=None, to=current_user.email)
    outcome, status = None, 200
    if request.method == "POST":
        if form.validate():
            try:
                organisation.send_test_email(form.to.data.strip())
                outcome = ("ok", _("Sent. Check that it arrived at %(to)s.", to=form.to.data.strip()))
            except OSError as exc:
                outcome = ("error", _("The e-mail could not be sent: %(error)s", error=str(exc) or type(exc).__name__))
                status = 502
            db.session.commit()
        else:
            status = 422
    return render_template("admin/mail.html", form=form, outcome=outcome,
                           settings=organisation.mail_settings()), status
