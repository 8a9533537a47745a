from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from blueprints.forms import Form, customer_number
from extensions import db, gettext as _, lazy_gettext as _l
from models import ComplaintNature, Satisfaction, Unit, UnitKind
from services import attachments, identity, org_settings
from services.choices import active_categories
from services.errors import Refused
from services.labels import NATURE_LABELS, SATISFACTION_LABELS


def an_email(form, field):
    try:
        validate_email((field.data or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationError(_l("Enter a valid e-mail address, for example name@example.com."))


def a_phone(form, field):
    # A mainland mobile (services.identity): the number texts go to, and the one the customer is found by.
    if field.data and identity.mobile_in(field.data) is None:
        raise ValidationError(_l("Enter a phone number of digits, for example 13800138000."))


class ComplaintForm(Form):
    submission_token = HiddenField()
    # Only where the organisation keeps suggestions (客户投诉/建议信息登记处理单); removed elsewhere, so
    # whatever a forged request sends, it files a complaint.
    nature = RadioField(_l("Complaint or suggestion"), choices=[(n.value, NATURE_LABELS[n]) for n in ComplaintNature],
                        default=ComplaintNature.COMPLAINT.value)
    customer_name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), Length(max=100, message=_l("At most 100 characters."))])
    email = StringField(_l("Your e-mail address"), validators=[
        DataRequired(_l("Enter your e-mail address: we send your tracking code there.")),
        Length(max=254, message=_l("At most 254 characters.")), an_email])
    phone = StringField(_l("Your mobile phone (optional, for text messages)"), validators=[
        Optional(), Length(max=32, message=_l("At most 32 characters.")), a_phone])
    id_number = StringField(_l("Your ID number (optional: finds your earlier complaints)"), validators=[
        Optional(), Length(max=24, message=_l("At most 24 characters.")),
        customer_number("id_number")])
    account = StringField(_l("Your account or card number (optional)"), validators=[
        Optional(), Length(max=24, message=_l("At most 24 characters.")),
        customer_number("account")])
    category = SelectField(_l("What it is about"), coerce=int, validators=[DataRequired(_l("Choose what it is about."))])
    branch = SelectField(_l("Branch concerned (if any)"), coerce=int, default=0)
    object_text = StringField(_l("Branch, product or service concerned"), validators=[
        DataRequired(_l("Enter the branch, product or service your complaint is about.")),
        Length(max=200, message=_l("At most 200 characters."))])
    content = TextAreaField(_l("What happened"), validators=[
        DataRequired(_l("Describe what happened.")), Length(max=5000, message=_l("At most 5000 characters."))])
    demand = TextAreaField(_l("What you ask us to do"), validators=[
        DataRequired(_l("Tell us what you ask us to do.")), Length(max=2000, message=_l("At most 2000 characters."))])
    evidence = MultipleFileField(_l("Photos, PDF documents or recordings (optional)"))
    # The honeypot: hidden from people (and from screen readers), filled in by form-filling robots.
    website = StringField(_l("Leave this empty"))

    def __init__(self, *args, locale: str = "zh_CN", **kwargs):
        super().__init__(*args, **kwargs)
        if not org_settings.keeps("suggestions"):
            del self.nature
        self.category.choices = [(0, _l("Choose…"))] + [(c.id, c.display_name(locale)) for c in active_categories()]
        branches = db.session.scalars(select(Unit).where(Unit.kind == UnitKind.BRANCH).order_by(Unit.code).limit(500))
        self.branch.choices = [(0, "—")] + [(u.id, u.display_name(locale)) for u in branches]
        self.checked_evidence: list[attachments.Checked] = []

    def chosen_nature(self) -> ComplaintNature:
        return ComplaintNature(self.nature.data) if "nature" in self else ComplaintNature.COMPLAINT

    def validate_evidence(self, field):
        """Every file is checked (size, type, scanner) before anything is filed."""
        files = [f for f in field.data or [] if f and f.filename]
        most = current_app.config["PUBLIC_MAX_FILES"]
        if len(files) > most:
            raise ValidationError(_l("Attach at most %(count)d files.", count=most))
        refusals = []
        for file in files:
            try:
                self.checked_evidence.append(attachments.check(file))
            except Refused as refusal:
                name = file.filename.replace("\\", "/").rsplit("/", 1)[-1][:100]
                refusals.append(_("%(name)s: %(reason)s", name=name, reason=str(refusal)))
        if refusals:
            self.checked_evidence = []
            raise ValidationError(" ".join(refusals))


class TrackForm(Form):
    number = StringField(_l("Complaint number"), validators=[
        DataRequired(_l("Enter the complaint number.")), Length(max=32)])
    code = StringField(_l("Tracking code"), validators=[DataRequired(_l("Enter the tracking code.")), Length(max=32)])


class LinkForm(Form):
    number = StringField(_l("Complaint number"), validators=[
        DataRequired(_l("Enter the complaint number.")), Length(max=32)])
    email = StringField(_l("The e-mail address you gave us"), validators=[
        DataRequired(_l("Enter your e-mail address.")), Length(max=254), an_email])


class InformationForm(Form):
    text = TextAreaField(_l("Anything to add"), validators=[
        DataRequired(_l("Write what you want to add.")), Length(max=3000, message=_l("At most 3000 characters."))])


class SurveyForm(Form):
    rating = RadioField(_l("How satisfied are you with the result?"),
                        choices=[(s.value, SATISFACTION_LABELS[s]) for s in Satisfaction],
                        validators=[InputRequired(_l("Choose one answer."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[
        Length(max=2000, message=_l("At most 2000 characters."))])
