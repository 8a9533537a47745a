from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

MAX_MINUTES = 400 * 24 * 60


class RuleForm(FlaskForm):
    period = IntegerField(_l("Period (minutes)"), validators=[
        InputRequired(_l("Enter a number of minutes.")),
        NumberRange(min=1, max=MAX_MINUTES, message=_l("Between 1 minute and 400 days."))])
    remind_before = IntegerField(_l("Remind before (minutes)"), validators=[
        InputRequired(_l("Enter a number of minutes.")),
        NumberRange(min=0, max=MAX_MINUTES, message=_l("Between 0 and 400 days."))])
    escalate_after = IntegerField(_l("Escalate after (minutes)"), validators=[
        InputRequired(_l("Enter a number of minutes.")),
        NumberRange(min=0, max=MAX_MINUTES, message=_l("Between 0 and 400 days."))])


class CalendarOverrideForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(_l("Enter a valid date."))])
    workday = RadioField(_l("That day is"), choices=[("1", _l("a working day")), ("0", _l("a day off"))],
                         validators=[InputRequired(_l("Choose working day or day off."))])
    note = StringField(_l("Note"), validators=[Length(max=200)])


class UnitHoursForm(FlaskForm):
    work_start = TimeField(_l("Work starts"), validators=[Optional()])
    work_end = TimeField(_l("Work ends"), validators=[Optional()])

    def validate_work_end(self, field):
        if bool(self.work_start.data) != bool(field.data):
            raise ValidationError(_l("Give both times, or neither for the organisation's hours."))
        if field.data and field.data <= self.work_start.data:
            raise ValidationError(_l("Work must end after it starts."))
