from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import Form, an_id
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l

TEXT = Length(max=2000)


class ProposeForm(Form):
    # The choices are checked by services.penalties.propose_penalty, with a message on the field.
    unit = SelectField(_l("Responsible unit"), coerce=an_id, validate_choice=False, validators=[
        DataRequired(_l("Choose the unit the penalty is proposed against."))])
    person = SelectField(_l("Responsible person (optional)"), coerce=an_id, default=0, validate_choice=False)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason for the penalty.")), TEXT])
    penalty = TextAreaField(_l("Proposed penalty"), validators=[
        DataRequired(_l("Say what penalty you propose.")), TEXT])


DECISIONS = [("accept", _l("Accept")), ("reject", _l("Reject"))]


class DecideForm(Form):
    decision = RadioField(_l("Decision on the proposal"), choices=DECISIONS, validators=[
        DataRequired(_l("Choose to accept or reject the proposal."))])
    penalty = TextAreaField(_l("Penalty decided"), validators=[Optional(), TEXT])
    note = TextAreaField(_l("Reason or note (the reason is required for a rejection)"),
                         validators=[Optional(), TEXT])


class ExecuteForm(Form):
    executed_on = DateField(_l("Executed on"), validators=[
        DataRequired(_l("Enter the date it was executed (YYYY-MM-DD).")), within_bounds])
    note = TextAreaField(_l("How it was executed"), validators=[
        DataRequired(_l("Say how the penalty was executed.")), TEXT])
