import re
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask_login import current_user
from wtforms import BooleanField, DateTimeLocalField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from blueprints.forms import SeverityFields, customer_number
from extensions import lazy_gettext as _l
from models import Channel, ComplaintKind, ComplaintNature
from services import bounds, clock, identity, org_settings
from services.choices import active_categories, all_units, colleagues
from services.incidents import count_open_incidents, may_join, open_incidents
from services.labels import CHANNEL_LABELS, KIND_LABELS, LEVEL_LABELS, NATURE_LABELS

PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,19}$")
MOBILE_LIKE = re.compile(r"^(?:\+?86|0086)?1\d{9,11}$")
OTHER_CONTACT = re.compile(r"^(?:微信|wechat|weixin|qq)\s*[:：]?\s*\S{3,}", re.IGNORECASE)
# Registration is due within 15 minutes of receipt; older receipts are still accepted
# (the record shows the late registration), but not ones from the future (services.bounds) or years ago.
OLDEST_RECEIPT = timedelta(days=365)


def phone_or_email(form, field):
    """A typed contact (services.sms.contact_kind): a mainland mobile number, a landline or other phone,
    an e-mail address, or WeChat (or QQ) and the ID. A number that looks like a mobile must be one."""
    value = (field.data or "").strip()
    if identity.mobile_in(value):
        return
    if MOBILE_LIKE.match(re.sub(r"[\s\-]", "", value)):
        raise ValidationError(_l("Enter a mainland mobile number: 11 digits starting with 13 to 19."))
    if PHONE.match(value) or OTHER_CONTACT.match(value):
        return
    if "@" in value:
        try:
            validate_email(value, check_deliverability=False)
            return
        except EmailNotValidError:
            pass
    raise ValidationError(_l("Enter a phone number or an e-mail address."))


def received_in_the_past(form, field):
    if field.data is None:
        return
    try:
        bounds.check_received(field.data)
    except bounds.OutOfBounds as error:
        if error.too_late:
            raise ValidationError(_l("The time received cannot be in the future.")) from None
        raise ValidationError(_l("The time received is more than a year ago.")) from None
    if clock.from_local(field.data) < clock.now() - OLDEST_RECEIPT:
        raise ValidationError(_l("The time received is more than a year ago."))


class RegisterForm(SeverityFields):
    submission_token = HiddenField()
    # Only where the organisation keeps suggestions (客户投诉/建议信息登记处理单); elsewhere the field is
    # removed and every registration is a complaint, whatever a forged request sends.
    nature = RadioField(_l("Complaint or suggestion"), choices=[(n.value, NATURE_LABELS[n]) for n in ComplaintNature],
                        default=ComplaintNature.COMPLAINT.value)
    customer_name = StringField(_l("Customer name"), validators=[
        DataRequired(_l("Enter the customer's name.")), Length(max=100)])
    customer_contact = StringField(_l("Contact (mobile, landline, e-mail or WeChat)"), validators=[
        DataRequired(_l("Enter how to reach the customer.")), Length(max=254), phone_or_email])
    customer_mobile = StringField(_l("Mobile number"), validators=[
        Length(max=20), customer_number("mobile")])
    customer_id_number = StringField(_l("ID number"), validators=[
        Length(max=24), customer_number("id_number")])
    customer_account = StringField(_l("Account or card number"), validators=[
        Length(max=24), customer_number("account")])
    customer_ref = StringField(_l("Customer or account reference"), validators=[Optional(), Length(max=64)])
    channel = SelectField(_l("Channel"), choices=[(c.value, CHANNEL_LABELS[c]) for c in Channel],
                          validators=[DataRequired()])
    received_at = DateTimeLocalField(_l("Received at"), format="%Y-%m-%dT%H:%M", validators=[
        DataRequired(_l("Enter when the complaint was received.")), received_in_the_past])
    content = TextAreaField(_l("What happened"), validators=[
        DataRequired(_l("Describe what happened.")), Length(max=5000)])
    demand = TextAreaField(_l("What the customer asks for"), validators=[
        DataRequired(_l("Enter what the customer asks for.")), Length(max=2000)])
    object_text = StringField(_l("Complained about (branch, department, staff, product)"), validators=[
        DataRequired(_l("Enter who or what the complaint is about.")), Length(max=200)])
    object_unit = SelectField(_l("Unit complained about (if one of ours)"), coerce=int, default=0)
    object_user = SelectField(_l("Staff member complained about (if any)"), coerce=int, default=0)
    category = SelectField(_l("Category"), coerce=int, validators=[DataRequired(_l("Choose a category."))])
    level = SelectField(_l("Level"), coerce=int, default=3,
                        choices=[(value, label) for value, label in LEVEL_LABELS.items()])
    kind = SelectField(_l("Kind"), choices=[(k.value, KIND_LABELS[k]) for k in ComplaintKind],
                       default=ComplaintKind.ROUTINE.value)
    regulator_forwarded = BooleanField(_l("Forwarded by a regulator hotline (12378, 12363)"))
    incident = SelectField(_l("Incident (concentrated complaints)"), coerce=int, default=0, validate_choice=False)
    new_incident = StringField(_l("…or a new incident"), validators=[Length(max=200)])
    solved_on_spot = BooleanField(_l("Solved on the spot"))
    on_spot_result = TextAreaField(_l("Result given to the customer on the spot"), validators=[Length(max=5000)])

    def validate_new_incident(self, field):
        concentrated = self.kind.data == ComplaintKind.CONCENTRATED.value
        if concentrated and not self.incident.data and not (field.data or "").strip():
            raise ValidationError(_l("A concentrated complaint belongs to an incident: choose one or name a new one."))
        # Only an incident the user may open: another unit's id, posted, would let the user join it and
        # then open its page. The message does not tell a closed incident from one the user may not see.
        if self.incident.data and not may_join(current_user, self.incident.data):
            raise ValidationError(_l("That incident is closed or unknown."))

    def validate_on_spot_result(self, field):
        if self.solved_on_spot.data and not (field.data or "").strip():
            raise ValidationError(_l("Enter the result given on the spot."))

    def chosen_nature(self) -> ComplaintNature:
        return ComplaintNature(self.nature.data) if "nature" in self else ComplaintNature.COMPLAINT

    def customer_numbers(self) -> dict:
        """The customer's numbers, normalised, for services.registration.Registration."""
        return {f"customer_{kind}": identity.NORMALISE[kind](getattr(self, f"customer_{kind}").data or "")
                for kind in identity.KINDS}

    def __init__(self, *args, locale: str = "zh_CN", for_validation: bool = False, **kwargs):
        """`for_validation`: only the choices validation needs (a form posted is most often
        registered, not shown again); offer_all() adds the others before the form is shown."""
        super().__init__(*args, **kwargs)
        self.locale = locale
        if not org_settings.keeps("suggestions"):
            del self.nature
        self.category.choices = [(0, _l("Choose…"))] + [
            (c.id, c.display_name(locale)) for c in active_categories()]
        self.incident.choices, self.incidents_not_shown = [(0, "—")], 0   # checked by may_join, not by its choices
        self.object_unit.choices = self.object_user.choices = [(0, "—")]
        self._offered = False
        if not for_validation:
            self.offer_all()
        else:   # none chosen (as most often): the list of them is not needed to check that
            if self.object_unit.data:
                self._offer_units()
            if self.object_user.data:
                self._offer_colleagues()

    def offer_all(self) -> None:
        """Every choice of the form, as it is shown."""
        if self._offered:
            return
        self._offered = True
        # Only the incidents this user may open are named; the others are counted (a complaint is
        # linked to one of them through the service center, which sees them all).
        offered = open_incidents(current_user)
        self.incident.choices = [(0, "—")] + [(i.id, i.title) for i in offered]
        self.incidents_not_shown = count_open_incidents() - len(offered)
        self._offer_units()
        self._offer_colleagues()

    def _offer_units(self) -> None:
        self.object_unit.choices = [(0, "—")] + [(u.id, u.display_name(self.locale)) for u in all_units()]

    def _offer_colleagues(self) -> None:
        self.object_user.choices = [(0, "—")] + [(u.id, f"{u.name} · {u.unit.display_name(self.locale)}")
                                                 for u in colleagues(current_user)]
