from flask import Blueprint

bp = Blueprint("ledger", __name__)

from blueprints.ledger import routes  # noqa: E402,F401
