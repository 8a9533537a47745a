"""The one exception for "no": the action is not the user's to take now (role, unit, state), or what
they gave is not accepted (a file, an organisation change). Uncaught, it is a 403 page; a form that
expects it shows its message on the field it names."""
from __future__ import annotations

from typing import Optional


class Refused(Exception):
    """`message` says why, for the user, when there is more to say than "not allowed"; `field` is the
    form field it concerns."""

    def __init__(self, message=None, field: Optional[str] = None):
        super().__init__(*([] if message is None else [str(message)]))
        self.message, self.field = message, field
