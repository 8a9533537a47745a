"""The administrator manages units, users, categories with their routing, and checks the e-mail."""
import re

import pytest
from sqlalchemy import select

from extensions import db
from models import AdminAuditEntry, Category, Role, RoutingRule, Unit, User
from services import choices, routing
from tests.conftest import Client
from tests.helpers import category_id, register, unit_id, user


def one_time_password(response) -> str:
    return re.search(r'data-testid="one-time-password"><code>([^<]+)</code>', response.text).group(1)


def audit_actions() -> list[str]:
    db.session.expire_all()
    return [e.action for e in db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id))]


@pytest.mark.one_backend
def test_only_the_administrator_reaches_the_pages(client_for):
    staff = client_for("center1")
    for url in ("/admin/units", "/admin/users", "/admin/categories", "/admin/mail"):
        assert staff.get(url).status_code == 403
        assert client_for("admin").get(url).status_code == 200
    assert staff.post("/admin/users", data={"username": "x"}).status_code == 403


def test_a_unit_is_created_renamed_moved_and_shown_in_the_tree(client_for):
    admin = client_for("admin")
    response = admin.post("/admin/units", data={"code": "BR03", "name": "城南支行", "name_en": "South City Branch",
                                                "kind": "branch", "parent": unit_id("HO")})
    assert response.status_code == 303
    tree = admin.get("/admin/units").text
    assert "BR03 · 城南支行" in tree
    branch = db.session.scalar(select(Unit).where(Unit.code == "BR03"))
    assert branch.parent.code == "HO" and branch.active

    response = admin.post(f"/admin/units/{branch.id}", data={"name": "城南分理处", "name_en": "South Office",
                                                             "parent": unit_id("BR01")})
    assert response.status_code == 303
    db.session.expire_all()
    branch = db.session.get(Unit, branch.id)
    assert branch.name == "城南分理处" and branch.parent.code == "BR01"
    entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "unit_changed")).one()
    assert entry.actor.username == "admin" and entry.target == "unit BR03"
    assert entry.changes["name"] == ["城南支行", "城南分理处"]
    assert entry.changes["parent_id"] == [unit_id("HO"), unit_id("BR01")]


@pytest.mark.one_backend
def test_bad_units_are_refused_with_messages(client_for):
    admin = client_for("admin")
    duplicate = admin.post("/admin/units", data={"code": "br01", "name": "重复", "name_en": "Dup", "kind": "branch",
                                                 "parent": unit_id("HO")})
    assert duplicate.status_code == 422 and 'id="code-error"' in duplicate.text
    orphan = admin.post("/admin/units", data={"code": "X1", "name": "无上级", "name_en": "Orphan", "kind": "branch",
                                              "parent": 0})
    assert orphan.status_code == 422 and "field has-error" in orphan.text
    blank = admin.post("/admin/units", data={"code": "", "name": "", "name_en": "", "kind": "", "parent": 0})
    assert blank.status_code == 422
    # The head office cannot go under one of its own branches.
    cycle = admin.post(f"/admin/units/{unit_id('HO')}", data={"name": "总行", "name_en": "Head office",
                                                              "parent": unit_id("BR01")})
    assert cycle.status_code == 422
    db.session.expire_all()
    assert db.session.get(Unit, unit_id("HO")).parent_id is None
    assert db.session.scalar(select(Unit).where(Unit.code == "X1")) is None


def test_a_unit_in_use_is_deactivated_never_deleted(client_for):
    admin, staff = client_for("admin"), client_for("staff1")
    register(staff)
    refused = admin.post(f"/admin/units/{unit_id('BR01')}/delete")
    assert refused.status_code == 422 and 'class="flash error"' in refused.text
    assert db.session.get(Unit, unit_id("BR01")) is not None
    # Its active users must go first.
    assert admin.post(f"/admin/units/{unit_id('BR01')}/active", data={"active": "0"}).status_code == 422
    # A department with no users left, but complaints routed to it before, is deactivated: no longer dispatchable.
    for username in ("dept3",):
        admin.post(f"/admin/users/{user(username).id}/active", data={"active": "0"})
    assert admin.post(f"/admin/units/{unit_id('IT')}/active", data={"active": "0"}).status_code == 303
    assert "IT" not in [u.code for u in routing.destinations()]
    # An empty unit created by mistake can be deleted.
    admin.post("/admin/units", data={"code": "TMP", "name": "临时", "name_en": "Temp", "kind": "department",
                                     "parent": unit_id("HO")})
    temp = db.session.scalar(select(Unit.id).where(Unit.code == "TMP"))
    assert admin.post(f"/admin/units/{temp}/delete").status_code == 303
    db.session.expire_all()
    assert db.session.get(Unit, temp) is None
    assert audit_actions()[-2:] == ["unit_created", "unit_deleted"]


def test_the_administrator_creates_a_user_who_signs_in_with_the_one_time_password(app, client_for):
    admin = client_for("admin")
    response = admin.post("/admin/users", data={"username": "staff3", "name": "钱进", "email": "staff3@example.com",
                                                "role": "staff", "unit": unit_id("BR02")})
    assert response.status_code == 200
    password = one_time_password(response)
    assert len(password) == 14 and password not in admin.get("/admin/users").text   # shown once only
    created = user("staff3")
    assert created.role == Role.STAFF and created.unit.code == "BR02" and created.must_change_password
    assert password not in created.password_hash
    newcomer = Client(app)
    assert newcomer.login("staff3", password).status_code == 303
    entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "user_created")).one()
    assert entry.changes["username"] == [None, "staff3"] and "password_hash" not in entry.changes


@pytest.mark.one_backend
def test_bad_users_are_refused_with_messages(client_for):
    admin = client_for("admin")
    taken = admin.post("/admin/users", data={"username": "staff1", "name": "重名", "email": "a@example.com",
                                             "role": "staff", "unit": unit_id("BR01")})
    assert taken.status_code == 422 and 'id="username-error"' in taken.text
    wrong_unit = admin.post("/admin/users", data={"username": "newdept", "name": "部门", "email": "b@example.com",
                                                  "role": "dept_staff", "unit": unit_id("BR01")})
    assert wrong_unit.status_code == 422 and 'aria-invalid="true"' in wrong_unit.text
    bad_email = admin.post("/admin/users", data={"username": "newbie", "name": "新人", "email": "not-an-address",
                                                 "role": "staff", "unit": unit_id("BR01")})
    assert bad_email.status_code == 422
    assert db.session.scalar(select(User).where(User.username.in_(["newdept", "newbie"]))) is None


def test_a_disabled_user_is_signed_out_and_cannot_sign_in(app, client_for):
    admin, staff = client_for("admin"), client_for("staff2")
    assert staff.get("/intake/").status_code == 200
    assert admin.post(f"/admin/users/{user('staff2').id}/active", data={"active": "0"}).status_code == 303
    assert staff.get("/intake/").status_code == 302                  # the open session ends at once
    assert Client(app).login("staff2").status_code == 422
    assert db.session.get(User, user("staff2").id) is not None             # kept, never deleted
    assert admin.post(f"/admin/users/{user('admin').id}/active", data={"active": "0"}).status_code == 422


def test_a_password_reset_replaces_the_old_password(app, client_for):
    admin = client_for("admin")
    response = admin.post(f"/admin/users/{user('dept2').id}/password")
    password = one_time_password(response)
    assert Client(app).login("dept2").status_code == 422                  # the old one no longer works
    assert Client(app).login("dept2", password).status_code == 303
    db.session.expire_all()
    assert user("dept2").must_change_password
    assert audit_actions()[-1] == "password_reset"


def test_role_and_unit_change(client_for):
    admin = client_for("admin")
    target = user("lobby1")
    response = admin.post(f"/admin/users/{target.id}", data={"name": "李强", "email": "lobby1@example.com",
                                                             "role": "branch_head", "unit": unit_id("BR02")})
    assert response.status_code == 303
    db.session.expire_all()
    changed = user("lobby1")
    assert changed.role == Role.BRANCH_HEAD and changed.unit.code == "BR02"
    entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "user_changed")).one()
    assert entry.changes["role"] == ["lobby_manager", "branch_head"]


def test_users_are_paginated_and_searchable(client_for):
    admin = client_for("admin")
    for n in range(25):
        admin.post("/admin/users", data={"username": f"teller{n:02d}", "name": f"柜员{n}",
                                         "email": f"t{n}@example.com", "role": "staff", "unit": unit_id("BR01")})
    first = admin.get("/admin/users").text
    assert "teller00" in first and "teller24" not in first                   # 37 accounts, 20 a page
    assert "teller24" in admin.get("/admin/users?page=2").text
    found = admin.get("/admin/users?q=teller07").text
    assert "teller07" in found and "teller08" not in found


def test_categories_and_their_routing(client_for):
    admin, staff = client_for("admin"), client_for("staff1")
    response = admin.post("/admin/categories", data={"new-code": "privacy", "new-name": "个人信息",
                                                     "new-name_en": "Personal data", "new-active": "y",
                                                     "new-department": unit_id("IT")})
    assert response.status_code == 303
    privacy = db.session.scalar(select(Category).where(Category.code == "privacy"))
    assert routing.category_department(privacy.id).code == "IT"
    fees = category_id("fees")
    response = admin.post(f"/admin/categories/{fees}", data={f"cat{fees}-name": "收费", f"cat{fees}-name_en": "Fees",
                                                             f"cat{fees}-active": "y",
                                                             f"cat{fees}-department": unit_id("OPS")})
    assert response.status_code == 303
    db.session.rollback()   # read in a new transaction, as a request would (services.kept)
    assert routing.category_department(fees).code == "OPS"
    complaint = register(staff, category=str(fees))
    page = staff.get(f"/complaints/{complaint.id}").text
    assert re.search(rf'<option selected value="{unit_id("OPS")}">', page)     # dispatch suggests the new department
    # No longer in use: gone from registration, and the routing rule can be removed.
    admin.post(f"/admin/categories/{privacy.id}", data={f"cat{privacy.id}-name": "个人信息",
                                                        f"cat{privacy.id}-name_en": "Personal data",
                                                        f"cat{privacy.id}-department": 0})
    db.session.rollback()   # read in a new transaction, as a request would (services.kept)
    assert privacy.id not in [c.id for c in choices.active_categories()]
    assert db.session.scalar(select(RoutingRule).where(RoutingRule.category_id == privacy.id)) is None
    bad = admin.post("/admin/categories", data={"new-code": "fees", "new-name": "", "new-name_en": "x",
                                                "new-department": 0})
    assert bad.status_code == 422
    assert audit_actions()[-2:] == ["category_changed", "category_changed"]


@pytest.mark.one_backend
def test_the_mail_check_sends_through_the_real_server(app, client_for, mailbox):
    admin = client_for("admin")
    response = admin.post("/admin/mail", data={"to": "ops@example.com"})
    assert response.status_code == 200 and 'data-testid="mail-outcome"' in response.text
    assert [m["To"] for m in mailbox.messages] == ["ops@example.com"]
    app.config["MAIL_PORT"] = 1     # nothing listens there
    response = admin.post("/admin/mail", data={"to": "ops@example.com"})
    assert response.status_code == 502 and 'class="flash error"' in response.text
    assert admin.post("/admin/mail", data={"to": "nonsense"}).status_code == 422
    entries = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "mail_checked")
                                 .order_by(AdminAuditEntry.id)).all()
    assert entries[0].changes["result"][1] == "sent" and entries[1].changes["result"][1] != "sent"
