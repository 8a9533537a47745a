from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.forms import Form
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l
from services import clock
from services.labels import CAUSE_LABELS


class ActionForm(Form):
    cause_kind = SelectField(_l("Kind of cause"), choices=[("", _l("Choose…"))] + [
        (kind.value, label) for kind, label in CAUSE_LABELS.items()],
        validators=[DataRequired(_l("Choose the kind of cause."))])
    description = TextAreaField(_l("Measure"), validators=[
        DataRequired(_l("Describe the action.")), Length(max=2000)])
    preventive = BooleanField(_l("Preventive (keeps it from happening again)"))
    owner = SelectField(_l("Owner"), coerce=int, validators=[DataRequired(_l("Choose the owner."))])
    due_date = DateField(_l("Due date"), validators=[DataRequired(_l("Enter the due date (YYYY-MM-DD).")), within_bounds])

    def validate_due_date(self, field):
        if field.data and field.data < clock.to_local(clock.now()).date():
            raise ValidationError(_l("The due date cannot be in the past."))


class DoneForm(Form):
    note = TextAreaField(_l("What was done"), validators=[
        DataRequired(_l("Say what was done.")), Length(max=2000)])


class CapaForm(Form):
    """纠正及预防措施记录表, as the responsible department fills it."""
    cause = TextAreaField(_l("Cause"), validators=[DataRequired(_l("Say what caused it.")), Length(max=4000)])
    correction = TextAreaField(_l("Correction"), validators=[
        DataRequired(_l("Say what was corrected.")), Length(max=4000)])
    preventive = TextAreaField(_l("Preventive measure"), validators=[
        DataRequired(_l("Say what keeps it from happening again.")), Length(max=4000)])
    responsible = StringField(_l("Person responsible"), validators=[
        DataRequired(_l("Name the person responsible.")), Length(max=100)])
    due_date = DateField(_l("To be done by"), validators=[
        DataRequired(_l("Enter the date (YYYY-MM-DD).")), within_bounds])

    def validate_due_date(self, field):
        if field.data and field.data < clock.to_local(clock.now()).date():
            raise ValidationError(_l("The date cannot be in the past."))


class SignOffForm(Form):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Length(max=2000)])


class SendBackForm(Form):
    reason = TextAreaField(_l("Why it goes back"), validators=[
        DataRequired(_l("Say why it goes back.")), Length(max=2000)])
