from flask import render_template
from sqlalchemy import select

from blueprints.admin import bp
from blueprints.ui import role_required
from extensions import db
from models import Category, Role, RoutingRule, Unit, User


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    """The organisation as configured: units, users, categories and routing rules."""
    units = db.session.scalars(select(Unit).order_by(Unit.code)).all()
    users = db.paginate(select(User).order_by(User.unit_id, User.username), per_page=50, error_out=False)
    categories = db.session.scalars(select(Category).order_by(Category.id)).all()
    rules = db.session.scalars(select(RoutingRule).order_by(RoutingRule.category_id)).all()
    return render_template("admin/index.html", units=units, users=users, categories=categories, rules=rules)
