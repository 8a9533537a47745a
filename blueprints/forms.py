"""The base of every form of the app: Flask-WTF's (CSRF) with single-line text kept on one line."""
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from services.notify import one_line


def _one_line(value):
    return one_line(value) if isinstance(value, str) else value


class Form(FlaskForm):
    """A single-line field never keeps a line break: typed or pasted ones become spaces. Such text
    reaches e-mail subjects and exported cells, where a line break would start a new header or
    row. Text areas keep theirs; a password is taken exactly as typed."""

    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, (TextAreaField, PasswordField)):
                filters = (*unbound_field.kwargs.get("filters", ()), _one_line)
                return unbound_field.bind(form=form, filters=filters, **options)
            return super().bind_field(form, unbound_field, options)
