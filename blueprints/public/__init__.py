"""The customer's pages, without login: the complaint form and the tracking page."""
from flask import Blueprint

bp = Blueprint("public", __name__)


@bp.app_template_global()
def customer_messages(complaint):
    """For the staff complaint page: what the customer was sent and added (templates/public/_staff_panel.html)."""
    from services.customer import messages
    return messages(complaint)


from blueprints.public import routes  # noqa: E402,F401
