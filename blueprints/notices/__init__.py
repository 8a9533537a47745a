"""The administrator's page for the notices customers receive (subject and body per kind and language)."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.forms import Form
from blueprints.ui import role_required
from config import LANGUAGES
from extensions import db
from models import NoticeKind, NoticeTemplate, Role
from services import clock
from services.customer import (DEFAULT_TEMPLATES, PLACEHOLDERS, TEMPLATE_ERRORS, notice_template, render_notice,
                               sample_context)
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


def _forms(submitted: dict | None = None) -> list:
    rows = []
    for kind in NoticeKind:
        for language in LANGUAGES:
            key = f"{kind.value}-{language}"
            form = (submitted or {}).get(key)
            if form is None:
                subject, body = notice_template(kind, language)
                form = NoticeForm(formdata=None, prefix=key, subject=subject, body=body)
            rows.append((kind, language, form))
    return rows


def _page(submitted: dict | None = None, status: int = 200):
    return render_template("notices/index.html", rows=_forms(submitted), KIND_LABELS=NOTICE_KIND_LABELS,
                           LANGUAGE_LABELS=LANGUAGE_LABELS, placeholders=PLACEHOLDERS), status


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    return _page()


@bp.post("/<kind>/<language>")
@role_required(Role.ADMIN)
def save(kind: str, language: str):
    try:
        notice_kind = NoticeKind(kind)
    except ValueError:
        abort(404)
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
