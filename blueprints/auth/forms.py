from wtforms import PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from blueprints.forms import Form
from config import LANGUAGES
from extensions import lazy_gettext as _l


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Enter your username.")), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=200)])


class LanguageForm(Form):
    locale = SelectField(_l("Language"), choices=list(LANGUAGES.items()))


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")), Length(max=200)])
    confirm_password = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")), EqualTo("new_password", _l("The two entries differ."))])
