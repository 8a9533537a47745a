"""The customer's pages, without login: the complaint form and the tracking page."""
from flask import Blueprint

from blueprints.ui import NOT_READ, known_empty, read_with_the_page
from services.labels import OUTBOX_CHANNEL_LABELS

bp = Blueprint("public", __name__)
bp.add_app_template_global(OUTBOX_CHANNEL_LABELS, "OUTBOX_CHANNEL_LABELS")


@bp.app_template_global()
def customer_messages(complaint):
    """For the staff complaint page: what the customer was sent and added (templates/public/_staff_panel.html)."""
    from services.customer import messages
    return [] if known_empty(complaint, "customer_messages") else messages(complaint)


@bp.app_template_global()
def customer_access(complaint):
    """For the staff complaint page: the customer's access, read once for the two below (with the
    complaint itself, where the page could)."""
    from services.customer import access_for
    if known_empty(complaint, "customer_access"):
        return None
    access = read_with_the_page(complaint, "customer_access")
    return access_for(complaint.id) if access is NOT_READ else access


@bp.app_template_global()
def customer_deliveries(complaint, access):
    """For the staff complaint page: how each e-mail and text to the customer went."""
    from services.customer import deliveries
    return deliveries(complaint, access)


@bp.app_template_global()
def customer_needs_phone_call(access):
    from services.customer import needs_phone_call
    return needs_phone_call(access)


from blueprints.public import routes  # noqa: E402,F401
