from wtforms import DateField, RadioField, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from blueprints.forms import Form
from blueprints.ui import within_bounds
from extensions import lazy_gettext as _l


class AuditFilterForm(Form):
    """The audit page's filters, read from the query string (a GET form: nothing to protect with CSRF)."""
    class Meta:
        csrf = False

    source = RadioField(_l("What"), choices=[("complaints", _l("Complaints: views and changes")),
                                             ("admin", _l("Administration changes"))], default="complaints")
    date_from = DateField(_l("From"), validators=[Optional(), within_bounds])
    date_to = DateField(_l("To"), validators=[Optional(), within_bounds])
    username = StringField(_l("User (username)"), validators=[Optional(), Length(max=64)])
    number = StringField(_l("Complaint number"), validators=[Optional(), Length(max=32)])
    action = SelectField(_l("Action"), default="")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))
