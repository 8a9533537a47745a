"""The customer's pages, without login: the complaint form and the tracking page."""
from flask import Blueprint
from flask_babel import lazy_gettext as _l

from blueprints.ui import EVENT_LABELS

bp = Blueprint("public", __name__)

# The customer's doings, as staff read them on the complaint's timeline.
EVENT_LABELS.update({
    "customer_added": _l("The customer added information on the tracking page:"),
})



@bp.app_template_global()
def customer_messages(complaint):
    """For the staff complaint page: what the customer was sent and added (templates/public/_staff_panel.html)."""
    from services.customer import messages
    return messages(complaint)


from blueprints.public import routes  # noqa: E402,F401
