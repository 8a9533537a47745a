from flask_wtf.file import FileField, FileRequired

from blueprints.forms import Form
from extensions import lazy_gettext as _l


class UploadForm(Form):
    file = FileField(_l("Photo, PDF or recording"), validators=[FileRequired(_l("Choose a file to attach."))])
