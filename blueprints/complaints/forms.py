from wtforms import (BooleanField, DateField, DateTimeLocalField, DecimalField, HiddenField, IntegerField, RadioField,
                     SelectField, StringField, TextAreaField)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from blueprints.forms import Form, SeverityFields, an_id
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l
from models import ComplaintKind, ContactChannel, Satisfaction
from services.labels import CONTACT_LABELS, KIND_LABELS, LEVEL_LABELS, SATISFACTION_LABELS
from wtforms.widgets import HiddenInput

CONTACT_CHOICES = [(c.value, CONTACT_LABELS[c]) for c in ContactChannel]


class VersionedForm(Form):
    """Every change carries the version the user saw, so a concurrent change is never overwritten."""
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class DispatchForm(VersionedForm):
    unit = SelectField(_l("Department or branch"), coerce=int,
                       validators=[DataRequired(_l("Choose a department or a branch."))])
    assignee = SelectField(_l("Person (optional)"), coerce=int, validate_choice=False, default=0)
    note = TextAreaField(_l("Note to the department"), validators=[Optional(), Length(max=1000)])


class AssignForm(VersionedForm):
    assignee = SelectField(_l("Handler"), coerce=int, validators=[DataRequired(_l("Choose the handler."))])
    note = TextAreaField(_l("Note to the handler"), validators=[Optional(), Length(max=1000)])


class AnswerFields(Form):
    cause = TextAreaField(_l("Cause"), validators=[DataRequired(_l("Enter the cause.")), Length(max=5000)])
    result = TextAreaField(_l("Handling result"), validators=[
        DataRequired(_l("Enter the handling result.")), Length(max=5000)])
    corrective_action = TextAreaField(_l("Corrective action"), validators=[
        DataRequired(_l("Enter the corrective action.")), Length(max=5000)])
    preventive_action = TextAreaField(_l("Preventive action"), validators=[
        DataRequired(_l("Enter the preventive action.")), Length(max=5000)])


class AnswerForm(AnswerFields, VersionedForm):
    pass


class ReturnForm(VersionedForm):
    comment = TextAreaField(_l("Why the answer goes back"), validators=[
        DataRequired(_l("Say why the answer is sent back.")), Length(max=2000)])


class ResultFields(Form):
    result = TextAreaField(_l("Result told to the customer"), validators=[
        DataRequired(_l("Enter what the customer was told.")), Length(max=5000)])
    channel = SelectField(_l("How the customer was told"), choices=CONTACT_CHOICES, default="phone")


class ResultForm(ResultFields, VersionedForm):
    pass


class InvalidForm(VersionedForm):
    reason = TextAreaField(_l("Why the complaint is not valid"), validators=[
        DataRequired(_l("Enter the reason.")), Length(max=2000)])
    reply = TextAreaField(_l("The answer given to the customer"), validators=[
        DataRequired(_l("Enter the answer given to the customer.")), Length(max=5000)])


class ContactForm(Form):
    channel = SelectField(_l("Channel"), choices=CONTACT_CHOICES, default="phone")
    content = TextAreaField(_l("What was said"), validators=[
        DataRequired(_l("Enter what was said.")), Length(max=2000)])


NOT_REACHED = "none"


class VisitForm(VersionedForm):
    rating = RadioField(_l("Customer's satisfaction"),
                        choices=[(s.value, SATISFACTION_LABELS[s]) for s in Satisfaction]
                        + [(NOT_REACHED, _l("Not reached (after 3 attempts the complaint closes as unreachable)"))],
                        validators=[InputRequired(_l("Choose the customer's rating."))])
    comment = TextAreaField(_l("The customer's comment"), validators=[Optional(), Length(max=2000)])


class LeaderDecisionForm(VersionedForm):
    decision = TextAreaField(_l("Final decision"), validators=[
        DataRequired(_l("Enter the decision.")), Length(max=5000)])
    channels_told = BooleanField(_l("The customer was told of further review and the external channels "
                                    "(regulator hotline, mediation, arbitration, litigation)"),
                                 validators=[DataRequired(_l("Tell the customer of the external channels first."))])


class PlanForm(VersionedForm):
    steps = TextAreaField(_l("Steps"), validators=[DataRequired(_l("Describe the steps.")), Length(max=5000)])
    responsible = StringField(_l("Responsible person"), validators=[
        DataRequired(_l("Name the responsible person.")), Length(max=100)])
    due_date = DateField(_l("To be done by"), validators=[DataRequired(_l("Enter a valid date.")), within_bounds])
    compensation = DecimalField(_l("Compensation (yuan, if any)"), places=2, validators=[
        Optional(), NumberRange(min=0, max=100_000_000, message=_l("Enter an amount of 0 or more."))])


class ReviewForm(VersionedForm):
    decision = RadioField(_l("Decision"), choices=[("approve", _l("Approve")), ("reject", _l("Reject"))],
                          validators=[InputRequired(_l("Approve or reject the plan."))])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])   # not Optional(): it would skip the check below

    def validate_comment(self, field):
        if self.decision.data == "reject" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the plan is rejected."))


class EscalateForm(VersionedForm):
    reason = TextAreaField(_l("Why it goes up"), validators=[
        DataRequired(_l("Say why the case goes to the next level.")), Length(max=2000)])


class TakeOverForm(VersionedForm):
    pass


class NoteForm(Form):
    text = TextAreaField(_l("Progress note"), validators=[
        DataRequired(_l("Write what was done.")), Length(max=2000)])


class ExtendForm(VersionedForm):
    reason = TextAreaField(_l("Why the case needs more time"), validators=[
        DataRequired(_l("Enter the reason for the extension.")), Length(max=2000)])
    customer_told = BooleanField(_l("The customer was told of the extension and its reason"),
                                 validators=[DataRequired(_l("Tell the customer first."))])


class NoticeForm(Form):
    again = HiddenField()     # "1" once the user confirmed sending it a second time


class ReviewRequestForm(VersionedForm):
    reason = TextAreaField(_l("What the customer disputes"), validators=[
        DataRequired(_l("Enter what the customer disputes.")), Length(max=5000)])


class IncidentDispatchForm(Form):
    unit = SelectField(_l("Department or branch"), coerce=int,
                       validators=[DataRequired(_l("Choose a department or a branch."))])


class WithdrawForm(VersionedForm):
    reason = TextAreaField(_l("Why the customer withdraws"), validators=[
        DataRequired(_l("Enter the customer's reason.")), Length(max=2000)])


class AdjustDeadlineForm(VersionedForm):
    deadline = SelectField(_l("Clock"), coerce=int, validators=[DataRequired(_l("Choose the clock."))])
    new_due = DateTimeLocalField(_l("New due time"), format="%Y-%m-%dT%H:%M",
                                 validators=[DataRequired(_l("Enter a valid date and time.")), within_bounds])
    reason = TextAreaField(_l("Why this case's clock moves"), validators=[
        DataRequired(_l("Enter the reason.")), Length(max=2000)])


class ReclassifyForm(SeverityFields, VersionedForm):
    """Choices filled per complaint (blueprints.complaints.routes._reclassify_form)."""
    level = SelectField(_l("Level"), coerce=int, choices=[(value, label) for value, label in LEVEL_LABELS.items()])
    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired(_l("Choose a category."))])
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in ComplaintKind])
    reason = TextAreaField(_l("Why the classification changes"), validators=[
        DataRequired(_l("Enter the reason.")), Length(max=2000)])


class HandOverFields(Form):
    # Checked by services.handover, whose refusal says whom it allows.
    new_owner = SelectField(_l("New first-responsible owner"), coerce=an_id, validate_choice=False,
                            validators=[DataRequired(_l("Choose the colleague who takes the case over."))])
    reason = TextAreaField(_l("Why (leave, departure …)"), validators=[
        DataRequired(_l("Enter the reason.")), Length(max=2000)])


class HandOverForm(HandOverFields, VersionedForm):
    pass
