import wtforms
from wtforms import BooleanField, DateField, FormField, RadioField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp, ValidationError

from blueprints.forms import Form
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l

MAX_MINUTES = 400 * 24 * 60
MINUTES = {"days": 24 * 60, "hours": 60, "minutes": 1}


def whole_number(maximum: int):
    """A validator: blank (counted as 0) or a whole number from 0 to `maximum`."""
    def check(form, field):
        value = (field.data or "").strip()
        if value and not (value.isascii() and value.isdigit() and int(value) <= maximum):
            raise ValidationError(_l("A whole number from 0 to %(maximum)s.", maximum=maximum))
    return check


class Duration(wtforms.Form):
    """A rule's duration as days, hours and minutes (a blank counts as 0), kept in minutes."""
    least = 0
    days = StringField(_l("days"), validators=[whole_number(400)])
    hours = StringField(_l("hours"), validators=[whole_number(23)])
    minutes = StringField(_l("minutes"), validators=[whole_number(59)])

    @classmethod
    def of(cls, minutes: int) -> dict:
        """The parts of `minutes`, as the form shows them."""
        return {"days": str(minutes // MINUTES["days"]), "hours": str(minutes % MINUTES["days"] // 60),
                "minutes": str(minutes % 60)}

    def total(self) -> int:
        return sum(int((self[name].data or "").strip() or 0) * size for name, size in MINUTES.items())

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not self.least <= self.total() <= MAX_MINUTES:
            self.form_errors.append(_l("Between 1 minute and 400 days.") if self.least else
                                    _l("Between 0 and 400 days."))
            return False
        return True


class Period(Duration):
    least = 1


class RuleForm(Form):
    period = FormField(Period, _l("Time allowed"))
    remind_before = FormField(Duration, _l("Remind before"))
    escalate_after = FormField(Duration, _l("Escalate after"))

    @classmethod
    def showing(cls, prefix: str, minutes: dict) -> "RuleForm":
        """The form filled with a rule in force, `minutes` by field name."""
        return cls(formdata=None, prefix=prefix, **{name: Duration.of(value) for name, value in minutes.items()})

    def minutes(self) -> dict:
        return {name: self[name].form.total() for name in ("period", "remind_before", "escalate_after")}


class CalendarOverrideForm(Form):
    day = DateField(_l("Day"), validators=[DataRequired(_l("Enter a valid date.")), within_bounds])
    workday = RadioField(_l("That day is"), choices=[("1", _l("a working day")), ("0", _l("a day off"))],
                         validators=[InputRequired(_l("Choose working day or day off."))])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class UnitHoursForm(Form):
    work_start = TimeField(_l("Work starts"), validators=[Optional()])
    work_end = TimeField(_l("Work ends"), validators=[Optional()])

    def validate_work_end(self, field):
        if bool(self.work_start.data) != bool(field.data):
            raise ValidationError(_l("Give both times, or neither for the organisation's hours."))
        if field.data and field.data <= self.work_start.data:
            raise ValidationError(_l("Work must end after it starts."))


# The organisation: units, users, categories, the e-mail check.

CODE = Regexp(r"^[A-Za-z0-9_-]+$", message=_l("Letters, digits, - and _ only."))


class UnitFields(Form):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(_l("Enter the name.")), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(_l("Enter the English name.")),
                                                              Length(max=100)])
    parent = SelectField(_l("Part of"), coerce=int, default=0)
    avoids_as_a_whole = BooleanField(_l("A complaint about this unit is never handled by it (回避 for the whole "
                                        "unit); unticked, only the person complained about steps aside"),
                                     default=True)


class UnitForm(UnitFields):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32), CODE])
    kind = SelectField(_l("Kind"), validators=[DataRequired(_l("Choose the kind of unit."))])


class UserFields(Form):
    name = StringField(_l("Full name"), validators=[DataRequired(_l("Enter the full name.")), Length(max=100)])
    email = StringField(_l("E-mail"), validators=[DataRequired(_l("Enter the e-mail address.")), Length(max=254),
                                                  Email(_l("Enter a valid e-mail address."))])
    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    unit = SelectField(_l("Unit"), coerce=int, validators=[DataRequired(_l("Choose a unit."))])
    # The organisation's own word for the role (市场部经理, 总经理), shown beside the name; rights follow the role.
    title = StringField(_l("Title in the organisation (optional)"), validators=[Optional(), Length(max=50)])


class UserForm(UserFields):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter a username.")), Length(min=3, max=64, message=_l("3 to 64 characters.")),
        Regexp(r"^[a-z0-9._-]+$", message=_l("Lower-case letters, digits, '.', '-' and '_' only."))])


class CategoryFields(Form):
    name = StringField(_l("Name (Chinese)"), validators=[DataRequired(_l("Enter the name.")), Length(max=100)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(_l("Enter the English name.")),
                                                              Length(max=100)])
    department = SelectField(_l("Suggested department"), coerce=int, default=0)
    active = BooleanField(_l("In use"), default=True)


class CategoryForm(CategoryFields):
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a code.")), Length(max=32), CODE])


class MailCheckForm(Form):
    to = StringField(_l("Send a test e-mail to"), validators=[
        DataRequired(_l("Enter the e-mail address.")), Length(max=254), Email(_l("Enter a valid e-mail address."))])


class ObjectRuleForm(Form):
    """A routing rule by what the complaint is about; 0 in a select means "any"."""
    category = SelectField(_l("Category"), coerce=int, default=0)
    object_unit = SelectField(_l("Unit complained about"), coerce=int, default=0)
    object_keyword = StringField(_l("Word in what the complaint is about"), validators=[Length(max=100)])
    unit = SelectField(_l("Department that answers"), coerce=int,
                       validators=[DataRequired(_l("Choose the department."))])

    def validate_object_keyword(self, field):
        if not self.object_unit.data and not (field.data or "").strip():
            raise ValidationError(_l("Name the unit complained about, a word of what the complaint is about, "
                                     "or both."))


class RepeatRuleForm(Form):
    """The repeat rule's similarity: a number above 0 and at most 1 (the typed text is kept when wrong)."""
    threshold = StringField(_l("Similarity needed (above 0, at most 1)"),
                            validators=[DataRequired(_l("Enter a number above 0 and at most 1, such as 0.4."))])

    def validate_threshold(self, field):
        text = (field.data or "").strip().replace("，", ".").replace(",", ".")
        try:
            value = float(text) if text.isascii() else None
        except ValueError:
            value = None
        if value is None or not 0 < value <= 1:   # NaN fails too
            raise ValidationError(_l("Enter a number above 0 and at most 1, such as 0.4."))
        self.value = round(value, 2)
class PlanApprovalForm(Form):
    """Who approves a leader's own plan, and who approves a plan nobody else may (回避, sole holders)."""
    leaders = RadioField(_l("A leader's own plan is approved by"), validators=[InputRequired()])
    fallback = SelectField(_l("A plan nobody else may approve goes to"), coerce=int, default=0)
