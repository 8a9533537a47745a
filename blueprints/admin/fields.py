"""The organisation's own fields: the administrator defines them (for some categories or all), changes
them, and retires them; a field once defined is never deleted, so old complaints keep its values."""
from flask import abort, flash, redirect, render_template, request, url_for
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.admin import bp
from blueprints.forms import Form
from blueprints.ui import current_locale, role_required
from extensions import db, gettext as _, lazy_gettext as _l
from models import CustomField, FieldType, Role
from services import bounds, custom_fields
from services.choices import active_categories
from services.labels import FIELD_TYPE_LABELS


class FieldForm(Form):
    key = StringField(_l("Key"), validators=[
        DataRequired(_l("Enter a key, e.g. order_date.")),
        Regexp(custom_fields.KEY.pattern + "$", message=_l("Lower-case letters, digits and _, starting with a "
                                                           "letter; at most 40."))])
    label_zh = StringField(_l("Label in Chinese"), validators=[DataRequired(_l("Enter the Chinese label.")),
                                                              Length(max=100)])
    label_en = StringField(_l("Label in English"), validators=[DataRequired(_l("Enter the English label.")),
                                                              Length(max=100)])
    type = SelectField(_l("Type"), choices=[(t.value, label) for t, label in FIELD_TYPE_LABELS.items()],
                       validators=[DataRequired(_l("Choose the type."))])
    choices = TextAreaField(_l("Options of a choice field, one per line"), validators=[Length(max=5000)])
    required = BooleanField(_l("Required"))
    categories = SelectMultipleField(_l("Categories (none ticked: every complaint)"), coerce=int,
                                     option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.categories.choices = [(c.id, c.display_name(locale)) for c in active_categories()]

    def options(self) -> list[str]:
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def validate_choices(self, field):
        options = self.options()
        if self.type.data == FieldType.CHOICE.value and not options:
            raise ValidationError(_l("A choice field needs at least one option."))
        if len(options) > custom_fields.MAX_CHOICES or any(len(o) > 100 for o in options):
            raise ValidationError(_l("At most 50 options of at most 100 characters each."))


def _page(form: FieldForm, status: int = 200):
    return render_template("admin/fields.html", form=form, fields=custom_fields.all_fields(),
                           type_labels=FIELD_TYPE_LABELS,
                           category_names=dict(form.categories.choices)), status


@bp.get("/fields")
@role_required(Role.ADMIN)
def fields():
    """The list and the form; ?edit=<id> fills the form with that field, to change it."""
    wanted = request.args.get("edit", 0, type=int)
    field = db.session.get(CustomField, wanted) if 0 < wanted <= bounds.MAX_ID else None
    if field is None:
        return _page(FieldForm(formdata=None))
    return _page(FieldForm(formdata=None, key=field.key, label_zh=field.label_zh, label_en=field.label_en,
                           type=field.type.value, choices="\n".join(field.choices or []), required=field.required,
                           categories=field.category_ids or []))


@bp.post("/fields")
@role_required(Role.ADMIN)
def define_field():
    """A new field, or a changed one (the same key): a profile's loader calls the same service."""
    form = FieldForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    try:
        field = custom_fields.define(form.key.data, form.label_zh.data, form.label_en.data, form.type.data,
                                     choices=form.options(), required=form.required.data,
                                     categories=form.categories.data or None)
    except custom_fields.BadDefinition:
        form.key.errors.append(_l("This definition is not valid."))
        return _page(form, status=422)
    db.session.commit()
    flash(_("The field %(label)s is saved.", label=field.label(current_locale())), "info")
    return redirect(url_for("admin.fields"), 303)


@bp.post("/fields/<int:field_id>/active")
@role_required(Role.ADMIN)
def field_active(field_id: int):
    """Retire a field (no longer asked for; old complaints keep their values) or bring it back."""
    field = db.session.get(CustomField, field_id)
    if field is None:
        abort(404)
    custom_fields.set_active(field, not field.active)
    db.session.commit()
    flash(_("The field %(label)s is back on the form.", label=field.label(current_locale())) if field.active else
          _("The field %(label)s is retired: no longer asked for, still shown on the complaints that have it.",
            label=field.label(current_locale())), "info")
    return redirect(url_for("admin.fields"), 303)
