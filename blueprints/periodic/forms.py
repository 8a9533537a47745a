from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from blueprints.forms import Form
from extensions import lazy_gettext as _l
from services.labels import REPORT_PART_LABELS
from services.periodic import MAX_ANNUAL, MAX_COMMENT, MAX_PART, PARTS


class MonthlyForm(Form):
    comment = TextAreaField(_l("Short analysis"), validators=[
        DataRequired(_l("Add a short comment on the month's figures.")),
        Length(max=MAX_COMMENT, message=_l("At most %(max)d characters."))])


class AnnualForm(Form):
    comment = TextAreaField(_l("The year's report"), validators=[
        DataRequired(_l("Write the year's report.")),
        Length(max=MAX_ANNUAL, message=_l("At most %(max)d characters."))])


class AnalysisForm(Form):
    """The five parts; whether they are enough together is services.periodic's rule (analysis_problem)."""


for _name in PARTS:
    setattr(AnalysisForm, _name, TextAreaField(REPORT_PART_LABELS[_name], validators=[
        Length(max=MAX_PART, message=_l("At most %(max)d characters."))]))


class ReadForm(Form):
    """Marking a report as read: the CSRF token only."""
