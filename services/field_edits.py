"""Correcting the organisation's own fields (services.custom_fields) of a registered complaint: checked
as at registration, on the version the user saw, each change written to the timeline as the field's
old and new value (extra.<key>: [old, new], named by the field's label on the page)."""
from __future__ import annotations

from typing import Optional

from models import Complaint, User
from services import custom_fields, policy
from services.complaints import _check
from services.timeline import log_event

PREFIX = "extra."   # the timeline's name of a field's change: extra.<key>


def correct_values(complaint: Complaint, actor: User, clean: dict, expected_version: Optional[int] = None) -> dict:
    """Store the checked values of the fields the complaint's category asks for (a blank clears one);
    returns the changes, {key: [old, new]}."""
    _check(policy.can_correct_fields(actor, complaint), complaint, expected_version)
    before = dict(complaint.extra or {})
    custom_fields.set_values(complaint, clean)
    after = complaint.extra or {}
    changes = {key: [before.get(key), after.get(key)] for key in sorted(set(before) | set(after))
               if before.get(key) != after.get(key)}
    log_event(complaint, actor, "extra_corrected", changes={PREFIX + key: values for key, values in changes.items()}
              or None)
    return changes
