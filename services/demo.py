"""The demo organisation: 2 branches, 3 departments, a service center, one account per role."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from extensions import db
from models import Category, Role, RoutingRule, Unit, UnitKind, User

DEMO_PASSWORD = "Demo-2026"

UNITS = [  # code, name, English name, kind, parent code
    ("HO", "总行", "Head office", UnitKind.HEAD_OFFICE, None),
    ("BR01", "城东支行", "East City Branch", UnitKind.BRANCH, "HO"),
    ("BR02", "城西支行", "West City Branch", UnitKind.BRANCH, "HO"),
    ("OPS", "运营管理部", "Operations Department", UnitKind.DEPARTMENT, "HO"),
    ("RETAIL", "个人金融部", "Retail Banking Department", UnitKind.DEPARTMENT, "HO"),
    ("IT", "信息科技部", "IT Department", UnitKind.DEPARTMENT, "HO"),
    ("CSC", "客户服务中心", "Customer Service Center", UnitKind.SERVICE_CENTER, "HO"),
]

USERS = [  # username, name, role, unit code
    ("staff1", "张敏", Role.STAFF, "BR01"),
    ("lobby1", "李强", Role.LOBBY_MANAGER, "BR01"),
    ("head1", "王芳", Role.BRANCH_HEAD, "BR01"),
    ("staff2", "赵磊", Role.STAFF, "BR02"),
    ("head2", "周静", Role.BRANCH_HEAD, "BR02"),
    ("dept1", "陈晨", Role.DEPT_STAFF, "OPS"),
    ("depthead1", "刘洋", Role.DEPT_HEAD, "OPS"),
    ("dept2", "黄丽", Role.DEPT_STAFF, "RETAIL"),
    ("dept3", "吴昊", Role.DEPT_STAFF, "IT"),
    ("center1", "孙悦", Role.CENTER, "CSC"),
    ("leader1", "郑伟", Role.LEADER, "HO"),
    ("admin", "系统管理员", Role.ADMIN, "HO"),
]

CATEGORIES = [  # code, name, English name, suggested department
    ("product_quality", "产品质量", "Product quality", "RETAIL"),
    ("service_attitude", "服务态度", "Service attitude", "OPS"),
    ("fees", "收费问题", "Fees and charges", "RETAIL"),
    ("waiting", "等候 / 交付时间", "Delivery / waiting time", "OPS"),
    ("environment", "环境设施", "Environment / facilities", "OPS"),
    ("system_app", "系统 / App", "System / app", "IT"),
    ("sales", "销售行为", "Sales practice", "RETAIL"),
    ("other", "其他", "Other", "OPS"),
]


def seed_demo() -> bool:
    """Create the demo organisation unless it is there already. Returns whether it created it."""
    if db.session.scalar(select(Unit).where(Unit.code == "HO")) is not None:
        return False
    units: dict[str, Unit] = {}
    for code, name, name_en, kind, parent in UNITS:
        units[code] = Unit(code=code, name=name, name_en=name_en, kind=kind, parent=units.get(parent))
        db.session.add(units[code])
    for username, name, role, unit in USERS:
        user = User(username=username, name=name, email=f"{username}@example.com", role=role,
                    unit=units[unit], locale="zh_CN")
        user.set_password(DEMO_PASSWORD)
        # Outside a demo (DEMO_ACCOUNTS=0) the known password only lets the first sign-in choose a new one.
        user.must_change_password = not current_app.config.get("DEMO_ACCOUNTS", True)
        db.session.add(user)
    for code, name, name_en, unit in CATEGORIES:
        category = Category(code=code, name=name, name_en=name_en)
        db.session.add_all([category, RoutingRule(category=category, unit=units[unit])])
    db.session.commit()
    return True
