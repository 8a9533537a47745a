from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError
from wtforms.widgets import HiddenInput

from blueprints.forms import Form
from extensions import lazy_gettext as _l


class ApprovalForm(Form):
    """Approve or reject a plan from the approvals page: the decision is the button pressed."""
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                          validators=[InputRequired(_l("Approve or reject the plan."))])
    comment = TextAreaField(_l("Comment (needed to reject)"), validators=[Length(max=2000)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def validate_comment(self, field):
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the plan is rejected."))
