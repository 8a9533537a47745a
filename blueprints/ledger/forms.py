"""The ledger's filter: a GET form read from the URL, so a filtered ledger is a link to share."""
from __future__ import annotations

from wtforms import DateField, Form, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from blueprints.forms import ReadersLanguageMeta
from blueprints.ui import within_bounds
from blueprints.widgets import FastSelectMeta
from extensions import lazy_gettext as _l
from services import custom_fields, identity, ledger, org_settings
from services.labels import (CHANNEL_LABELS, KIND_LABELS, LEVEL_LABELS, NATURE_LABELS, SATISFACTION_LABELS,
                             SEVERITY_LABELS, STATE_LABELS)

ANY = ("", _l("Any"))
SORT_CHOICES = [
    ("-registered", _l("Newest first")), ("registered", _l("Oldest first")),
    ("number", _l("Number, ascending")), ("-number", _l("Number, descending")),
    ("level", _l("Level 1 first")), ("-level", _l("Level 3 first")),
]


class LedgerFilterForm(Form):
    class Meta(FastSelectMeta, ReadersLanguageMeta):   # its 13 selects rendered for less (blueprints.widgets)
        pass

    q = StringField(_l("Search number, customer, content"), [Optional(), Length(max=100)])
    customer = StringField(_l("Customer's mobile, ID or account number"), [Optional(), Length(max=30)])
    date_from = DateField(_l("Registered from"), [Optional(), within_bounds])
    date_to = DateField(_l("Registered until"), [Optional(), within_bounds])
    unit = SelectField(_l("Unit"), default="")
    category = SelectField(_l("Category"), default="")
    channel = SelectField(_l("Channel"), default="", choices=[ANY] + [(k.value, v) for k, v in CHANNEL_LABELS.items()])
    severity = SelectField(_l("Severity"), default="",
                           choices=[ANY] + list(SEVERITY_LABELS.items()))
    level = SelectField(_l("Level"), default="", choices=[ANY] + [(str(k), v) for k, v in LEVEL_LABELS.items()])
    state = SelectField(_l("State"), default="", choices=[ANY] + [(k.value, v) for k, v in STATE_LABELS.items()])
    overdue = SelectField(_l("Overdue"), default="",
                          choices=[ANY, ("yes", _l("Overdue now")), ("no", _l("Not overdue"))])
    satisfaction = SelectField(_l("Satisfaction"), default="",
                               choices=[ANY] + [(k.value, v) for k, v in SATISFACTION_LABELS.items()])
    kind = SelectField(_l("Kind"), default="", choices=[ANY] + [(k.value, v) for k, v in KIND_LABELS.items()])
    # Only where the organisation keeps suggestions (removed otherwise, so the parameter is ignored).
    nature = SelectField(_l("Complaint or suggestion"), default="",
                         choices=[ANY] + [(k.value, v) for k, v in NATURE_LABELS.items()])
    sort = SelectField(_l("Order"), default=ledger.DEFAULT_SORT, choices=SORT_CHOICES)

    def __init__(self, formdata, units: list, categories: list, locale: str, extra_fields: tuple = ()):
        super().__init__(formdata)
        if not org_settings.keeps("suggestions"):
            del self.nature
        # The organisation's text and choice fields, each a filter f_<key> (services.custom_fields).
        self.extra_fields = list(extra_fields)
        typed = custom_fields.typed(formdata or {}, custom_fields.FILTER_PREFIX)
        self.extra_values = {f.key: typed.get(f.key, "").strip() for f in self.extra_fields}
        self.extra_errors = {}
        self.unit.choices = [ANY] + [(str(u.id), u.display_name(locale)) for u in units]
        self.category.choices = [ANY] + [(str(c.id), c.display_name(locale)) for c in categories]

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        for f in self.extra_fields:
            value = self.extra_values[f.key]
            message = custom_fields.check_filter(f, value) if value else None
            if message:
                self.extra_errors[f.key] = message
        return valid and not self.extra_errors

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def validate_customer(self, field):
        if field.data and not identity.numbers_in(field.data):
            raise ValidationError(_l("Enter a mobile number (11 digits), an 18-character ID number or an "
                                     "account number (12 to 19 digits)."))

    def filters(self) -> ledger.Filters:
        """The valid form as the ledger's filters (an empty choice means any)."""
        def number(value):
            return int(value) if value else None
        return ledger.Filters(
            q=(self.q.data or "").strip(), date_from=self.date_from.data, date_to=self.date_to.data,
            unit_id=number(self.unit.data), category_id=number(self.category.data),
            channel=self.channel.data or None, severity=self.severity.data or None,
            level=number(self.level.data), state=self.state.data or None,
            overdue={"yes": True, "no": False}.get(self.overdue.data), satisfaction=self.satisfaction.data or None,
            kind=self.kind.data or None, nature=(self.nature.data or None) if self.nature else None,
            customer=(self.customer.data or "").strip(),
            sort=self.sort.data or ledger.DEFAULT_SORT,
            extra={key: value for key, value in self.extra_values.items() if value})

    def query_args(self) -> dict:
        """The non-empty, non-default fields: the ledger's URL for this filter."""
        args = {}
        for field in self:
            value = field.raw_data[0].strip() if field.raw_data else ""
            if value and value != (field.default or ""):
                args[field.name] = value
        for key, value in self.extra_values.items():
            if value:
                args[custom_fields.FILTER_PREFIX + key] = value
        return args
