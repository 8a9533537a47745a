"""The case page's correction of the organisation's own fields (services.field_edits): the fields the
complaint's category asks for, filled with the stored values, checked as at registration (422 with
the typed text kept), on the version the user saw (409 otherwise)."""
from __future__ import annotations

from flask import request

from blueprints.complaints.forms import VersionedForm
from models import Complaint
from services import custom_fields, field_edits, policy

ACTION = "fields"
FORM_PREFIX = f"{ACTION}-{custom_fields.FORM_PREFIX}"   # fields-x_<key>


class ExtraFieldsForm(VersionedForm):
    """The version only; the fields are the organisation's (read from the posted form by key)."""
    extra_fields: list = []
    typed: dict = {}
    extra_errors: dict = {}
    clean: dict = {}
    category_id = None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        self.clean, self.extra_errors = custom_fields.validate(self.typed, self.category_id)
        return valid and not self.extra_errors


def allowed(user, complaint: Complaint) -> bool:
    """Offered where the user may correct them and the complaint's category has fields."""
    return policy.can_correct_fields(user, complaint) and bool(custom_fields.fields_for(complaint.category_id))


def form_for(complaint: Complaint, submitted: bool = False) -> ExtraFieldsForm:
    form = ExtraFieldsForm(prefix=ACTION) if submitted else ExtraFieldsForm(formdata=None, prefix=ACTION)
    form.category_id = complaint.category_id
    form.extra_fields = custom_fields.fields_for(complaint.category_id)
    form.typed = (custom_fields.typed(request.form, FORM_PREFIX) if submitted
                  else {key: str(value) for key, value in (complaint.extra or {}).items()})
    form.extra_errors, form.form_prefix = {}, FORM_PREFIX
    return form


def correct(complaint: Complaint, form: ExtraFieldsForm, actor) -> dict:
    return field_edits.correct_values(complaint, actor, form.clean, expected_version=form.version.data)
