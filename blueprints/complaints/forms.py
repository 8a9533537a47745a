from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput


class VersionedForm(FlaskForm):
    """Every change carries the version the user saw, so a concurrent change is never overwritten."""
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class DispatchForm(VersionedForm):
    unit = SelectField(_l("Department"), coerce=int, validators=[DataRequired(_l("Choose a department."))])
    assignee = SelectField(_l("Person (optional)"), coerce=int, validate_choice=False, default=0)
    note = TextAreaField(_l("Note to the department"), validators=[Optional(), Length(max=1000)])


class AnswerForm(VersionedForm):
    cause = TextAreaField(_l("Cause"), validators=[DataRequired(_l("Enter the cause.")), Length(max=5000)])
    result = TextAreaField(_l("Handling result"), validators=[
        DataRequired(_l("Enter the handling result.")), Length(max=5000)])
    corrective_action = TextAreaField(_l("Corrective action"), validators=[
        DataRequired(_l("Enter the corrective action.")), Length(max=5000)])
    preventive_action = TextAreaField(_l("Preventive action"), validators=[
        DataRequired(_l("Enter the preventive action.")), Length(max=5000)])


class CloseForm(VersionedForm):
    comment = TextAreaField(_l("Closing comment"), validators=[Optional(), Length(max=2000)])


class ReturnForm(VersionedForm):
    comment = TextAreaField(_l("Why the answer goes back"), validators=[
        DataRequired(_l("Say why the answer is sent back.")), Length(max=2000)])
