"""The base of every form of the app: Flask-WTF's (CSRF) with single-line text kept on one line."""
import functools

from babel import support
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.validators import NumberRange, Optional, StopValidation, ValidationError

from blueprints.widgets import FastSelectMeta
from extensions import lazy_gettext as _l, locale_code
from services import bounds, identity, severity
from services.notify import one_line


def _one_line(value):
    return one_line(value) if isinstance(value, str) else value


def an_id(value) -> int:
    """A chosen id (a SelectField's coerce with validate_choice=False), 0 for none or nonsense: the
    service the choice goes to says what is wrong with it, in words the form's "not a valid choice" lacks."""
    return value if isinstance(value, int) else (bounds.database_id(str(value)) or 0)


def head_count_of_a_collective(form, field) -> None:
    """A collective complaint names how many people complain together: 5 or more (the spec's threshold)."""
    if form.collective.data and (field.data is None or field.data < 5):
        # StopValidation: the Optional() after it would clear the message of an empty field.
        raise StopValidation(_l("A collective complaint is 5 or more people: enter how many complain together."))


def criterion_applied(form, field) -> None:
    """A criterion of a major complaint the organisation does not apply (services.severity) is refused
    if posted; one the complaint holds already may stay (a reclassification keeps it or clears it)."""
    name = field.short_name
    if field.data and not severity.applies(name) and name not in getattr(form, "held_criteria", ()):
        raise ValidationError(_l("This organisation does not count this as making a complaint major."))


class ReadersLanguageMeta:
    """A form Meta mixin: WTForms' own messages (a date that is none, a choice not offered) in the
    request's language, the catalogue read once per language and process (Flask-WTF reads the file
    again in every request that needs one: 2 ms of a registration)."""

    def get_translations(self, form):
        return _wtforms_messages(locale_code())


class Form(FlaskForm):
    """A single-line field never keeps a line break: typed or pasted ones become spaces. Such text
    reaches e-mail subjects and exported cells, where a line break would start a new header or
    row. Text areas keep theirs; a password is taken exactly as typed."""

    class Meta(FastSelectMeta, ReadersLanguageMeta, FlaskForm.Meta):   # (blueprints.widgets; above)
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, (TextAreaField, PasswordField)):
                filters = (*unbound_field.kwargs.get("filters", ()), _one_line)
                return unbound_field.bind(form=form, filters=filters, **options)
            return super().bind_field(form, unbound_field, options)


@functools.cache
def _wtforms_messages(locale: str) -> support.Translations:
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


# The customer's numbers (services.identity), as the register form, the public form and the customer
# page check them: the message says what a valid one looks like.
NUMBER_MESSAGES = {
    "mobile": _l("Enter an 11-digit mainland mobile number, for example 13800138000."),
    "id_number": _l("Enter the 18-character resident ID number; this one's check character is wrong or it is "
                    "incomplete."),
    "account": _l("Enter the account or card number: 12 to 19 digits."),
}


def customer_number(kind: str):
    """A validator: the field is empty or a valid number of `kind`."""
    def check(form, field):
        try:
            identity.NORMALISE[kind](field.data or "")
        except identity.BadNumber:
            raise ValidationError(NUMBER_MESSAGES[kind]) from None
    return check


class SeverityFields(Form):
    """The criteria that make a complaint major, as registration and reclassification both ask them:
    those the organisation applies (services.severity), with its own description of each."""
    held_criteria: tuple = ()   # the criteria the complaint holds already (a reclassification sets them)
    collective = BooleanField(_l("Collective: 5 or more people complain together"), validators=[criterion_applied])
    collective_count = IntegerField(_l("How many people complain together"), validators=[
        head_count_of_a_collective, Optional(),
        NumberRange(min=1, max=100000, message=_l("Enter a number of people from 1 to 100,000."))])
    litigation = BooleanField(_l("Litigation threatened or possible"), validators=[criterion_applied])
    media = BooleanField(_l("Exposed by the media"), validators=[criterion_applied])
    compensation = BooleanField(_l("Compensation involved"), validators=[criterion_applied])

    def severity_choices(self) -> list[tuple]:
        """(field, the organisation's description or None) of each criterion to show: those it applies,
        and one it does not that the complaint holds or that was posted (shown with its message)."""
        applied = severity.criteria()
        return [(self[name], applied.get(name)) for name in severity.TICKED
                if name in applied or name in self.held_criteria or self[name].errors]

    def asks_head_count(self) -> bool:
        return any(field.short_name == "collective" for field, _description in self.severity_choices())
