"""blueprints.widgets renders a <select> byte for byte as WTForms' own Select does."""
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional
from wtforms.widgets import Select

from blueprints.widgets import FastSelectMeta
from extensions import lazy_gettext as _l

CHOICES = [("", _l("Any")), ("a&b", 'Tom & "Jerry" <x>'), ("2", Markup("<b>safe</b>")), (True, "yes")]


class Plain(Form):
    kind = SelectField("Kind", choices=CHOICES, default="")
    needed = SelectField("Needed", [DataRequired()], choices=[("1", "one"), ("2", "two")])
    number = SelectField("Number", [Optional()], coerce=int, choices=[(1, "one"), (2, "two")],
                         render_kw={"data_extra": "x"})
    with_kw = SelectField("With", choices=[("x", "X", {"disabled": True, "data-note": 'a"b'}), ("y", "Y")])
    grouped = SelectField("Grouped", choices=[SelectChoice("apple", "Apple", optgroup="Fruit"),
                                                SelectChoice("leek", "Leek", optgroup="Veg")])


class Fast(Plain):
    class Meta(FastSelectMeta):
        pass


def test_selects_render_as_wtforms_renders_them(app, monkeypatch):
    with app.test_request_context():
        for data in ({}, {"kind": "a&b", "needed": "2", "number": "2", "with_kw": "y", "grouped": "leek"},
                     {"kind": "True", "number": "nonsense"}):
            plain, fast = Plain(MultiDict(data)), Fast(MultiDict(data))
            plain.validate(), fast.validate()
            for name in ("kind", "needed", "number", "with_kw", "grouped"):
                for attrs in ({}, {"class_": "auto-filter", "aria-describedby": "x-error"},
                              {"required": False, "aria-required": "true", "data_hx_post": "/v?a=1&b=\"2\""},
                              {"id": "other", "disabled": True}):
                    assert fast[name](**attrs) == plain[name](**attrs), (name, attrs, data)

        # And it is the fast one that rendered them: WTForms' Select is asked for the grouped one only.
        asked = []
        monkeypatch.setattr(Select, "__call__", lambda self, field, **kw: asked.append(field.name) or "")
        for name in ("kind", "needed", "number", "with_kw", "grouped"):
            fast[name]()
        assert asked == ["grouped"]


def test_the_app_forms_use_it(app):
    from blueprints.forms import Form as AppForm
    from blueprints.ledger.forms import LedgerFilterForm
    assert issubclass(AppForm.Meta, FastSelectMeta)
    assert issubclass(LedgerFilterForm.Meta, FastSelectMeta)
