"""blueprints.widgets renders a <select> and an <input> byte for byte as WTForms' own widgets do."""
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField, fields
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import Input, Select

from blueprints.widgets import FastSelectMeta
from extensions import lazy_gettext as _l

CHOICES = [("", _l("Any")), ("a&b", 'Tom & "Jerry" <x>'), ("2", Markup("<b>safe</b>")), (True, "yes")]


class Plain(Form):
    kind = SelectField("Kind", choices=CHOICES, default="")
    needed = SelectField("Needed", [DataRequired()], choices=[("1", "one"), ("2", "two")])
    numbered = SelectField("Number", [Optional()], coerce=int, choices=[(1, "one"), (2, "two")],
                         render_kw={"data_extra": "x"})
    with_kw = SelectField("With", choices=[("x", "X", {"disabled": True, "data-note": 'a"b'}), ("y", "Y")])
    grouped = SelectField("Grouped", choices=[SelectChoice("apple", "Apple", optgroup="Fruit"),
                                                SelectChoice("leek", "Leek", optgroup="Veg")])

    text = fields.StringField("Text", [DataRequired(), Length(max=30)])
    search = fields.SearchField("Search", [Optional(), Length(min=2, max=100)], render_kw={"autocomplete": "off"})
    hidden = fields.HiddenField()
    number = fields.IntegerField("Count", [Optional()])
    email = fields.EmailField("E-mail")
    date = fields.DateField("From", [Optional()])


INPUTS = ("text", "search", "hidden", "number", "email", "date")


class Fast(Plain):
    class Meta(FastSelectMeta):
        pass


def test_selects_render_as_wtforms_renders_them(app, monkeypatch):
    with app.test_request_context():
        for data in ({}, {"kind": "a&b", "needed": "2", "numbered": "2", "with_kw": "y", "grouped": "leek"},
                     {"kind": "True", "numbered": "nonsense", "text": 'a "quoted" <b>&amp;',
                      "search": "x", "hidden": "7", "number": "12", "email": "a@b", "date": "2026-02-30"}):
            plain, fast = Plain(MultiDict(data)), Fast(MultiDict(data))
            plain.validate(), fast.validate()
            for name in ("kind", "needed", "numbered", "with_kw", "grouped", *INPUTS):
                for attrs in ({}, {"class_": "auto-filter", "aria-describedby": "x-error"},
                              {"required": False, "aria-required": "true", "data_hx_post": "/v?a=1&b=\"2\""},
                              {"id": "other", "disabled": True}, {"type": "search", "maxlength": 30, "value": "v"}):
                    assert fast[name](**attrs) == plain[name](**attrs), (name, attrs, data)

        # And it is the fast one that rendered them: WTForms' Select is asked for the grouped one only.
        asked = []
        monkeypatch.setattr(Select, "__call__", lambda self, field, **kw: asked.append(field.name) or "")
        monkeypatch.setattr(Input, "__call__", lambda self, field, **kw: asked.append(field.name) or "")
        for name in ("kind", "needed", "numbered", "with_kw", "grouped", *INPUTS):
            fast[name]()
        assert asked == ["grouped", "number", "date"]   # with their own rendering (step, min, max): WTForms


def test_the_app_forms_use_it(app):
    from blueprints.forms import Form as AppForm
    from blueprints.ledger.forms import LedgerFilterForm
    assert issubclass(AppForm.Meta, FastSelectMeta)
    assert issubclass(LedgerFilterForm.Meta, FastSelectMeta)
