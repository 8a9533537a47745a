"""What the transitions announce, for the layers that hang off them (the customer's notices today).
A listener runs at once, inside the transition's transaction; the transitions import none of them."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# The sender is the complaint in each case.
complaint_registered = _signals.signal("complaint-registered", doc="kwargs: filed_by_customer (bool)")
plan_approved = _signals.signal("plan-approved", doc="the plan of the current round holds (approved or needing none)")
result_given = _signals.signal("result-given", doc="the customer was told the result")
complaint_closed = _signals.signal("complaint-closed", doc="closed, whichever way")
ceiling_extended = _signals.signal("ceiling-extended", doc="the final decision deadline moved (an extension)")
