"""The administrator's page for the notices customers receive (subject and body per kind and language,
with the length of the text message they make), and the SMS provider's template of each kind."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from blueprints.forms import Form
from blueprints.ui import role_required
from config import LANGUAGES
from extensions import db, gettext as _, lazy_gettext as _l
from models import NoticeKind, NoticeTemplate, Role, SmsTemplate
from services import clock, sms
from services.customer import (DEFAULT_TEMPLATES, PLACEHOLDERS, TEMPLATE_ERRORS, notice_kinds, notice_template,
                               render_notice, sample_context)
from services.labels import LANGUAGE_LABELS, NOTICE_KIND_LABELS

bp = Blueprint("notices", __name__)


def renders(form, field):
    try:
        render_notice(form.subject.data or "", form.body.data or "", sample_context())
    except TEMPLATE_ERRORS as exc:
        raise ValidationError(_("The template cannot be used: %(error)s", error=exc))


class NoticeForm(Form):
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Enter a subject.")), Length(max=300)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(_l("Enter the text.")), Length(max=5000), renders])


def known_placeholders(form, field):
    unknown = [name for name in (n.strip() for n in (field.data or "").split(",")) if name and name not in PLACEHOLDERS]
    if unknown:
        raise ValidationError(_("Not a placeholder: %(names)s", names=", ".join(unknown)))


class SmsTemplateForm(Form):
    code = StringField(_l("Provider's template code"), validators=[
        Optional(), Length(max=64), Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Letters, digits, _ . - only."))])
    params = StringField(_l("Parameters, in the template's order"), validators=[
        Optional(), Length(max=300), known_placeholders])


def _example_length(form) -> tuple[int, int]:
    """Characters and messages of the text this notice makes, with example values filled in."""
    try:
        subject, body = render_notice(form.subject.data or "", form.body.data or "", EXAMPLE)
    except TEMPLATE_ERRORS:
        return 0, 0
    text = f"{subject}. {body.strip()}"
    return len(text), sms.segments(text)


# Values of the length a real notice has (a number, a tracking code, a date), for the count.
EXAMPLE = dict({name: "" for name in PLACEHOLDERS}, customer_name="王建国", number="TS-20261130-0001",
               received_at="2026-11-30 09:55", tracking_code="ABCDE-FGH23", state="处理中",
               resolution_due="2026-12-14 17:00", final_due="2026-12-30 17:00", closed_at="2026-12-10 16:00",
               track_url="https://example.com/track?number=TS-20261130-0001", link_hours=24,
               organisation="锦城置业有限公司")


def _forms(submitted: dict | None = None) -> list:
    rows = []
    for kind in notice_kinds():
        for language in LANGUAGES:
            key = f"{kind.value}-{language}"
            form = (submitted or {}).get(key)
            if form is None:
                subject, body = notice_template(kind, language)
                form = NoticeForm(formdata=None, prefix=key, subject=subject, body=body)
            rows.append((kind, language, form, _example_length(form)))
    return rows


def _sms_forms(submitted: dict | None = None) -> list:
    rows = []
    for kind in notice_kinds():
        form = (submitted or {}).get(kind.value)
        if form is None:
            row = sms.sms_template(kind)
            form = SmsTemplateForm(formdata=None, prefix=f"sms-{kind.value}", code=row.code if row else "",
                                   params=row.params if row else "")
        rows.append((kind, form))
    return rows


def _page(submitted: dict | None = None, status: int = 200, sms_submitted: dict | None = None):
    return render_template("notices/index.html", rows=_forms(submitted), sms_rows=_sms_forms(sms_submitted),
                           KIND_LABELS=NOTICE_KIND_LABELS, LANGUAGE_LABELS=LANGUAGE_LABELS,
                           placeholders=PLACEHOLDERS, segment=sms.SEGMENT, long_segment=sms.LONG_SEGMENT), status


def _kind(value: str) -> NoticeKind:
    """The kind named in the address, one this organisation sends (else 404)."""
    try:
        kind = NoticeKind(value)
    except ValueError:
        abort(404)
    if kind not in notice_kinds():
        abort(404)
    return kind


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return _page()


@bp.post("/<kind>/<language>")
@role_required(Role.ADMIN)
def save(kind: str, language: str):
    notice_kind = _kind(kind)
    if (notice_kind, language) not in DEFAULT_TEMPLATES:
        abort(404)
    key = f"{kind}-{language}"
    form = NoticeForm(prefix=key)
    if not form.validate():
        return _page({key: form}, 422)
    row = db.session.scalar(select(NoticeTemplate).where(NoticeTemplate.kind == notice_kind,
                                                         NoticeTemplate.language == language))
    if row is None:
        row = NoticeTemplate(kind=notice_kind, language=language)
        db.session.add(row)
    row.subject, row.body, row.updated_at = form.subject.data.strip(), form.body.data.strip(), clock.now()
    db.session.commit()
    flash(_("Saved. Notices from now on use this text."), "info")
    return redirect(url_for("notices.index") + f"#notice-{key}", 303)


@bp.post("/sms/<kind>")
@role_required(Role.ADMIN)
def save_sms(kind: str):
    """The provider's template code for one kind of notice (empty: the kind is not texted by a provider)."""
    notice_kind = _kind(kind)
    form = SmsTemplateForm(prefix=f"sms-{kind}")
    if not form.validate():
        return _page(status=422, sms_submitted={kind: form})
    row = sms.sms_template(notice_kind)
    if row is None:
        row = SmsTemplate(kind=notice_kind)
        db.session.add(row)
    params = ", ".join(name.strip() for name in (form.params.data or "").split(",") if name.strip())
    row.code, row.params, row.updated_at = (form.code.data or "").strip(), params, clock.now()
    db.session.commit()
    flash(_("Saved. Text messages from now on use this provider template."), "info")
    return redirect(url_for("notices.index") + f"#sms-{kind}", 303)
