"""The channels' API keys: the administrator makes one per caller (hotline system, app,
mini-program, partner), sees it once, and revokes it. Only its hash is kept."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.admin import bp
from blueprints.forms import Form
from blueprints.ui import current_locale, role_required
from extensions import db
from extensions import gettext as _
from extensions import lazy_gettext as _l
from models import ApiChannel, ApiKey, ApiScope, Role, Unit, UnitKind
from services import api_keys
from services.labels import API_CHANNEL_LABELS, API_SCOPE_LABELS

RECEIVING_KINDS = (UnitKind.SERVICE_CENTER, UnitKind.BRANCH)


class ApiKeyForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Name the caller, e.g. the hotline system.")),
                                               Length(max=100, message=_l("At most 100 characters."))])
    channel = SelectField(_l("Channel"), choices=[(c.value, label) for c, label in API_CHANNEL_LABELS.items()],
                          validators=[DataRequired(_l("Choose the channel."))])
    scopes = SelectMultipleField(_l("What it may do"),
                                 choices=[(s.value, label) for s, label in API_SCOPE_LABELS.items()],
                                 option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False),
                                 validators=[DataRequired(_l("Choose at least one thing the key may do."))])
    unit = SelectField(_l("Unit that receives its complaints"), coerce=int,
                       validators=[DataRequired(_l("Choose the unit."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = db.session.scalars(select(Unit).where(Unit.kind.in_(RECEIVING_KINDS), Unit.active.is_(True))
                                   .order_by(Unit.kind.desc(), Unit.code).limit(500))
        locale = current_locale()
        self.unit.choices = [(u.id, u.display_name(locale)) for u in units]


def _page(form: ApiKeyForm, new_key: str | None = None, status: int = 200):
    page = api_keys.keys_page(request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    return render_template("admin/api_keys.html", form=form, page=page, new_key=new_key,
                           channel_labels=API_CHANNEL_LABELS,
                           scope_labels_by_value={s.value: label for s, label in API_SCOPE_LABELS.items()}), status


@bp.get("/api-keys")
@role_required(Role.ADMIN)
def api_key_list():
    return _page(ApiKeyForm(formdata=None))


@bp.post("/api-keys")
@role_required(Role.ADMIN)
def create_api_key():
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    unit = db.session.get(Unit, form.unit.data)
    _row, key = api_keys.create_key(form.name.data.strip(), ApiChannel(form.channel.data),
                                    [ApiScope(s) for s in form.scopes.data], unit)
    db.session.commit()
    # Shown in this answer only: it is stored as a hash, and this page is no-store.
    return _page(ApiKeyForm(formdata=None), new_key=key)


@bp.post("/api-keys/<int:key_id>/revoke")
@role_required(Role.ADMIN)
def revoke_api_key(key_id: int):
    row = db.session.get(ApiKey, key_id)
    if row is None:
        abort(404)
    api_keys.revoke_key(row)
    db.session.commit()
    flash(_("The key %(prefix)s is revoked: its calls are refused from now on.", prefix=row.prefix), "info")
    return redirect(url_for("admin.api_key_list"), 303)
