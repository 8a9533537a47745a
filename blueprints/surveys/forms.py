from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.forms import Form
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l
from models import SurveyItem
from models.survey import SCORES
from services.labels import SURVEY_ITEM_LABELS, SURVEY_SCORE_LABELS


class RoundForm(Form):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Enter a title.")), Length(max=200, message=_l("At most 200 characters."))])
    period_start = DateField(_l("Period from"), validators=[DataRequired(_l("Enter a valid date.")), within_bounds])
    period_end = DateField(_l("Period to"), validators=[DataRequired(_l("Enter a valid date.")), within_bounds])
    customers = TextAreaField(_l("Customers, one a line: name, then mobile number or e-mail address"), validators=[
        Length(max=400_000, message=_l("At most 400000 characters."))])
    upload = FileField(_l("Or a CSV file with the same columns"))
    from_complaints = BooleanField(_l("Add the customers of the period's complaints"))
    leave_out_bad = BooleanField(_l("Make the round without the lines that cannot be used (they stay listed on it)"))


class AnswerForm(Form):
    comment = TextAreaField(_l("Your comments and suggestions (optional)"), validators=[
        Length(max=2000, message=_l("At most 2000 characters."))])

    def scores(self) -> dict:
        return {item: self[f"item_{item.value}"].data for item in SurveyItem
                if self[f"item_{item.value}"].data in SCORES}

    def item_fields(self):
        return [self[f"item_{item.value}"] for item in SurveyItem]


for _item in SurveyItem:
    setattr(AnswerForm, f"item_{_item.value}", RadioField(
        SURVEY_ITEM_LABELS[_item], coerce=int, validators=[Optional()],
        choices=[(score, SURVEY_SCORE_LABELS[score]) for score in SCORES]))
