from flask import Blueprint

bp = Blueprint("complaints", __name__)

from blueprints.complaints import routes, similar  # noqa: E402,F401
