"""Routing rules by what a complaint is about (投诉对象): kept by the administrator, ahead of the
category's department when a complaint is dispatched."""
import re

from sqlalchemy import func, select

from extensions import db
from models import AdminAuditEntry, Complaint, ObjectRoutingRule, Unit, UnitKind, User
from tests.helpers import category_id, dispatch, register, unit_id, user, version_of

RULE_FIELDS = ("category", "object_unit", "object_keyword", "unit")


def rule_form(category=0, object_unit=0, object_keyword="", unit=0) -> dict:
    return {"category": category, "object_unit": object_unit, "object_keyword": object_keyword, "unit": unit}


def suggested_unit(client, complaint) -> int:
    """The department the complaint page's dispatch form has selected."""
    page = client.get(f"/complaints/{complaint.id}").text
    select_html = re.search(r'<select[^>]*name="dispatch-unit".*?</select>', page, re.S).group(0)
    return int(re.search(r'<option selected value="(\d+)"', select_html).group(1))


def admin_audit() -> list[AdminAuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AdminAuditEntry).order_by(AdminAuditEntry.id)))


def rules_count() -> int:
    return db.session.scalar(select(func.count()).select_from(ObjectRoutingRule))


def test_a_complaint_whose_object_matches_a_rule_is_routed_to_the_rules_unit(client_for):
    admin, staff = client_for("admin"), client_for("staff1")
    # Anything about the mobile app goes to IT, whatever its category; waiting time about the East
    # City Branch goes to Retail Banking (a rule naming the category wins over one for any category).
    assert admin.post("/admin/routing", data=rule_form(object_keyword="手机银行", unit=unit_id("IT"))).status_code == 303
    assert admin.post("/admin/routing", data=rule_form(
        category=category_id("waiting"), object_unit=unit_id("BR01"), unit=unit_id("RETAIL"))).status_code == 303
    [created, _second] = admin_audit()
    assert created.action == "routing_rule_created" and created.actor.username == "admin"
    assert created.changes == {"object_keyword": [None, "手机银行"], "unit_id": [None, unit_id("IT")]}
    listing = admin.get("/admin/routing").text
    assert "手机银行" in listing and "信息科技部" in listing and "城东支行" in listing

    app_complaint = register(staff, category=str(category_id("waiting")), object_text="手机银行App登录排队")
    branch_complaint = register(staff, category=str(category_id("waiting")), object_unit=str(unit_id("BR01")))
    other_category = register(staff, category=str(category_id("environment")), object_unit=str(unit_id("BR01")))
    plain = register(staff, category=str(category_id("waiting")))
    assert suggested_unit(staff, app_complaint) == unit_id("IT")           # the category's own is OPS
    assert suggested_unit(staff, branch_complaint) == unit_id("RETAIL")
    assert suggested_unit(staff, other_category) == unit_id("OPS")         # that rule names another category
    assert suggested_unit(staff, plain) == unit_id("OPS")                  # no rule: the category's department

    # The center dispatches with what the form suggests: the rule's unit handles it.
    center = client_for("center1")
    response = center.act(app_complaint.id, "dispatch", {
        "unit": suggested_unit(center, app_complaint), "assignee": 0, "note": "",
        "version": version_of(center, app_complaint.id)})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Complaint, app_complaint.id).handling_unit.code == "IT"


def test_a_deactivated_department_or_the_unit_complained_about_is_never_suggested(client_for):
    admin, staff = client_for("admin"), client_for("staff1")
    admin.post("/admin/routing", data=rule_form(object_keyword="理财", unit=unit_id("RETAIL")))
    admin.post("/admin/routing", data=rule_form(object_keyword="理财产品", unit=unit_id("IT")))
    # The longer word is the more specific rule ...
    complaint = register(staff, object_text="理财产品赎回排队")
    assert suggested_unit(staff, complaint) == unit_id("IT")
    # ... unless its department is what the complaint is about (回避): then the next rule's.
    about_it = register(staff, object_text="理财产品赎回排队", object_unit=str(unit_id("IT")))
    assert suggested_unit(staff, about_it) == unit_id("RETAIL")
    # A department deactivated after the rule was made is skipped too.
    it = db.session.get(Unit, unit_id("IT"))
    it.active = False
    db.session.commit()
    assert suggested_unit(staff, complaint) == unit_id("RETAIL")


def test_the_rule_form_refuses_bad_input_with_messages_and_changes_nothing(client_for):
    admin = client_for("admin")
    empty_department = Unit(code="LEGAL", name="法律合规部", name_en="Legal", kind=UnitKind.DEPARTMENT,
                            parent_id=unit_id("HO"))
    db.session.add(empty_department)
    db.session.commit()
    admin.post("/admin/routing", data=rule_form(object_keyword="信用卡", unit=unit_id("RETAIL")))
    audit_before, rules_before = len(admin_audit()), rules_count()
    refused = {
        "nothing chosen": (rule_form(), ["请选择部门。", "请指明被投诉的机构、投诉对象中的词语，或两者都指明。"]),
        "no object": (rule_form(category=category_id("fees"), unit=unit_id("OPS")),
                      ["请指明被投诉的机构、投诉对象中的词语，或两者都指明。"]),
        "a branch cannot answer": (rule_form(object_keyword="柜台", unit=unit_id("BR01")), ["不是有效的选择"]),
        "nobody there": (rule_form(object_keyword="合同", unit=empty_department.id), ["该部门没有可以答复的人员"]),
        "about itself": (rule_form(object_unit=unit_id("OPS"), unit=unit_id("OPS")), ["回避"]),
        "twice": (rule_form(object_keyword=" 信用卡 ", unit=unit_id("OPS")), ["已有相同类别和对象的规则"]),
        "too long": (rule_form(object_keyword="长" * 101, unit=unit_id("OPS")), ["100"]),
        "not numbers": ({"category": "x", "object_unit": "-", "object_keyword": "卡", "unit": "IT"}, []),
    }
    for case, (data, messages) in refused.items():
        response = admin.post("/admin/routing", data=data)
        assert response.status_code == 422, case
        for message in messages:
            assert message in response.text, (case, message)
    assert len(admin_audit()) == audit_before and rules_count() == rules_before


def test_a_rule_is_changed_and_deleted_with_audit_entries(client_for):
    admin = client_for("admin")
    admin.post("/admin/routing", data=rule_form(object_keyword="信用卡", unit=unit_id("RETAIL")))
    rule = db.session.scalar(select(ObjectRoutingRule))
    page = admin.get(f"/admin/routing/{rule.id}").text
    assert 'value="信用卡"' in page
    bad = admin.post(f"/admin/routing/{rule.id}", data=rule_form(object_keyword="", unit=unit_id("OPS")))
    assert bad.status_code == 422 and "请指明被投诉的机构" in bad.text
    assert admin.post(f"/admin/routing/{rule.id}", data=rule_form(
        category=category_id("fees"), object_keyword="信用卡年费", unit=unit_id("OPS"))).status_code == 303
    db.session.expire_all()
    rule = db.session.get(ObjectRoutingRule, rule.id)
    assert (rule.category.code, rule.object_keyword, rule.unit.code) == ("fees", "信用卡年费", "OPS")
    rule_id = rule.id
    assert admin.post(f"/admin/routing/{rule_id}/delete").status_code == 303
    assert rules_count() == 0
    created, changed, deleted = admin_audit()
    assert changed.action == "routing_rule_changed" and changed.changes == {
        "category_id": [None, category_id("fees")], "object_keyword": ["信用卡", "信用卡年费"],
        "unit_id": [unit_id("RETAIL"), unit_id("OPS")]}
    assert deleted.action == "routing_rule_deleted" and deleted.changes == {
        "category_id": [category_id("fees"), None], "object_keyword": ["信用卡年费", None],
        "unit_id": [unit_id("OPS"), None]}
    assert admin.get(f"/admin/routing/{rule_id}").status_code == 404
    assert admin.post(f"/admin/routing/{rule_id}/delete").status_code == 404
    assert client_for("center1").get("/admin/routing").status_code == 403


def test_the_dispatch_form_says_why_it_suggests_its_department(client_for):
    admin, staff = client_for("admin"), client_for("staff1")
    assert admin.post("/admin/routing", data=rule_form(object_keyword="手机银行", unit=unit_id("IT"))).status_code == 303
    by_rule = register(staff, category=str(category_id("waiting")), object_text="手机银行App登录排队")
    by_category = register(staff, category=str(category_id("waiting")))

    def reason(complaint) -> str:
        page = staff.get(f"/complaints/{complaint.id}").text
        return re.search(r'data-testid="routing-reason">(.*?)</p>', page, re.S).group(1)
    assert reason(by_rule) == "按投诉对象派单规则“手机银行”建议。"
    assert reason(by_category) == "按投诉类别的处理部门建议。"


def test_the_dispatch_form_offers_what_the_administrator_last_changed(client_for):
    """The form's units, people and rules are kept between requests (services.routing): each change
    of the administrator's shows on the next page, in every process."""
    admin, staff = client_for("admin"), client_for("staff1")
    complaint = register(staff, category=str(category_id("waiting")), object_text="手机银行App登录")

    def offered(name: str) -> str:
        page = staff.get(f"/complaints/{complaint.id}").text
        return re.search(rf'<select[^>]*name="dispatch-{name}".*?</select>', page, re.S).group(0)

    def people_of_ops() -> str:
        return staff.get(f"/complaints/{complaint.id}/dispatch/handlers?dispatch-unit={unit_id('OPS')}").text
    assert "临时部" not in offered("unit") and "钱进" not in offered("assignee")
    assert suggested_unit(staff, complaint) == unit_id("OPS")
    assert admin.post("/admin/units", data={"code": "TMP", "name": "临时部", "name_en": "Temp", "kind": "department",
                                            "parent": unit_id("HO")}).status_code == 303
    created = admin.post("/admin/users", data={"username": "dept9", "name": "钱进", "email": "dept9@example.com",
                                               "role": "dept_staff", "unit": unit_id("OPS")})
    assert created.status_code == 200   # (the page with the one-time password)
    assert admin.post("/admin/routing", data=rule_form(object_keyword="手机银行", unit=unit_id("IT"))).status_code == 303
    assert "临时部" in offered("unit") and "钱进" in people_of_ops()
    assert suggested_unit(staff, complaint) == unit_id("IT")
    dept9 = db.session.scalar(select(User.id).where(User.username == "dept9"))
    assert admin.post(f"/admin/users/{dept9}/active", data={"active": "0"}).status_code == 303
    assert "钱进" not in people_of_ops()


def test_the_dispatch_form_lists_the_people_of_the_chosen_unit(client_for):
    """Only the chosen unit's (a network's hundreds of units would make a list of thousands): the
    suggested one's at first, another's swapped in when it is chosen."""
    staff = client_for("staff1")
    complaint = register(staff, category=str(category_id("waiting")))     # 运营管理部's, as suggested
    of_ops, of_retail = user("dept1"), user("dept2")
    page = staff.get(f"/complaints/{complaint.id}").text
    people = re.search(r'<select[^>]*name="dispatch-assignee".*?</select>', page, re.S).group(0)
    assert f'value="{of_ops.id}">{of_ops.name}<' in people and of_retail.name not in people
    url = f"/complaints/{complaint.id}/dispatch/handlers?dispatch-unit={unit_id('RETAIL')}"
    swapped = staff.get(url)
    assert swapped.status_code == 200 and swapped.text.strip().startswith('<div id="dispatch-handlers">')
    assert of_retail.name in swapped.text and of_ops.name not in swapped.text
    assert 'data-testid="routing-reason"' not in swapped.text          # not the suggested one…
    back = staff.get(f"/complaints/{complaint.id}/dispatch/handlers?dispatch-unit={unit_id('OPS')}").text
    assert 'data-testid="routing-reason"' in back and of_ops.name in back   # …and back to it: why again
    assert client_for("dept1").get(url).status_code == 404            # not a case of theirs
    # Without script the list stays the suggested unit's: a person of another unit is refused, and the
    # form comes back with the people of the unit chosen.
    refused = dispatch(staff, complaint, "RETAIL", assignee=of_ops.id)
    assert refused.status_code == 422 and of_ops.name in refused.text
    people = re.search(r'<select[^>]*name="dispatch-assignee".*?</select>', refused.text, re.S).group(0)
    assert of_retail.name in people and of_ops.name not in people
    assert dispatch(staff, complaint, "RETAIL", assignee=of_retail.id).status_code == 303
    assert staff.get(url).status_code == 403                               # dispatched: no one may any more
