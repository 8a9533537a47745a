"""A <select> and an <input> rendered as WTForms renders them, for less: the same HTML, byte for
byte, as wtforms.widgets.Select and Input (tests/test_widgets.py compares them), as plain strings.

WTForms builds every attribute of every option with Markup.format (Python's string.Formatter, a few
dozen function calls each) and asks inspect.signature about its own render_option on every select;
the ledger's filter (about 70 options) spent a third of the page there. Forms get this through their
Meta (blueprints.forms.Form, the ledger's filter): a field whose widget is exactly WTForms' Select,
single-choice and without option groups, or an input whose widget renders as Input does (text,
search, hidden, e-mail...), is rendered here; any other goes to WTForms as before."""
from __future__ import annotations

from markupsafe import Markup, escape
from wtforms.widgets import Input, Select
from wtforms.widgets.core import clean_key


def html_params(attrs: dict) -> str:
    """wtforms.widgets.html_params(**attrs) as a str: sorted, `True` alone, `False` left out, each value
    escaped (an already safe value kept) with its double quotes as &quot;."""
    out = []
    for key, value in sorted(attrs.items()):
        key = clean_key(key)
        if value is True:
            out.append(str(escape(key)))
        elif value is not False:
            out.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return " ".join(out)


def render_select(field, attrs: dict) -> Markup | None:
    """Select.__call__(field, **attrs), or None where WTForms' own is needed (groups)."""
    if not hasattr(field, "_iter_choices_normalized") or field.has_groups():
        return None
    attrs.setdefault("id", field.id)
    flags = getattr(getattr(field, "flags", None), "__dict__", {})
    for flag in Select.validation_attrs:
        if flag in flags and flag not in attrs:
            attrs[flag] = flags[flag]
    html = [f"<select {html_params({'name': field.name, **attrs})}>"]
    for choice in field._iter_choices_normalized():
        value = choice.value
        option = {"value": str(value) if isinstance(value, bool) else value, **(choice.render_kw or {})}
        if choice.selected:
            option["selected"] = True
        html.append(f"<option {html_params(option)}>{escape(choice.label or choice.value)}</option>")
    html.append("</select>")
    return Markup("".join(html))


def render_input(widget, field, attrs: dict) -> Markup:
    """Input.__call__(field, **attrs) for a widget that keeps it (TextInput, DateInput's min/max aside)."""
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if "value" not in attrs:
        attrs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in attrs:
        attrs["list"] = datalist if isinstance(datalist, str) else datalist.id
    flags = getattr(getattr(field, "flags", None), "__dict__", {})
    for flag in widget.validation_attrs:
        if flag in flags and flag not in attrs:
            value = flags[flag]
            attrs[flag] = value() if callable(value) else value
    return Markup(f"<input {html_params({'name': field.name, **attrs})}>")


class FastSelectMeta:
    """A form Meta mixin: single-choice selects through render_select, the plain inputs through
    render_input, everything else as WTForms does."""

    def render_field(self, field, render_kw):
        widget = field.widget
        kind = type(widget)
        select = kind is Select and not widget.multiple
        # An Input subclass that renders as Input: its own __call__ and html_params untouched.
        plain_input = (not select and isinstance(widget, Input) and kind.__call__ is Input.__call__
                       and kind.html_params is Input.html_params)
        if select or plain_input:
            attrs = {clean_key(k): v for k, v in render_kw.items()}
            own = getattr(field, "render_kw", None)
            if own is not None:
                attrs = {**{clean_key(k): v for k, v in own.items()}, **attrs}
            html = render_select(field, attrs) if select else render_input(widget, field, attrs)
            if html is not None:
                return html
        return super().render_field(field, render_kw)
