"""Industry profiles (profiles/*.yaml): each loads into an empty database, its demo accounts sign in
and register complaints that go to the profile's departments; the bank is exactly the demo it always
was; a broken file is refused with its line and the reason; set-up refuses a database in use."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from models import AdminAuditEntry, Category, ComplaintState, DeadlineKind, DeadlineRule, NoticeKind, NoticeTemplate, ObjectRoutingRule, OutboxMessage, RoutingRule, Unit, User
from services import org_settings, profiles
from services.demo import seed_demo
from services.profiles import ProfileError
from services.routing import suggested_department
from tests.conftest import Client, _wipe
from tests.helpers import answer, category_id, dispatch, fresh, register

# The demo as services/demo.py held it before it moved into profiles/bank.yaml.
BANK_UNITS = [("HO", "总行", "Head office", "head_office", None),
              ("BR01", "城东支行", "East City Branch", "branch", "HO"),
              ("BR02", "城西支行", "West City Branch", "branch", "HO"),
              ("OPS", "运营管理部", "Operations Department", "department", "HO"),
              ("RETAIL", "个人金融部", "Retail Banking Department", "department", "HO"),
              ("IT", "信息科技部", "IT Department", "department", "HO"),
              ("CSC", "客户服务中心", "Customer Service Center", "service_center", "HO")]
BANK_USERS = [("staff1", "张敏", "staff", "BR01"), ("lobby1", "李强", "lobby_manager", "BR01"),
              ("head1", "王芳", "branch_head", "BR01"), ("staff2", "赵磊", "staff", "BR02"),
              ("head2", "周静", "branch_head", "BR02"), ("dept1", "陈晨", "dept_staff", "OPS"),
              ("depthead1", "刘洋", "dept_head", "OPS"), ("dept2", "黄丽", "dept_staff", "RETAIL"),
              ("dept3", "吴昊", "dept_staff", "IT"), ("center1", "孙悦", "center", "CSC"),
              ("leader1", "郑伟", "leader", "HO"), ("admin", "系统管理员", "admin", "HO")]
BANK_CATEGORIES = [("product_quality", "产品质量", "Product quality", "RETAIL"),
                   ("service_attitude", "服务态度", "Service attitude", "OPS"),
                   ("fees", "收费问题", "Fees and charges", "RETAIL"),
                   ("waiting", "等候 / 交付时间", "Delivery / waiting time", "OPS"),
                   ("environment", "环境设施", "Environment / facilities", "OPS"),
                   ("system_app", "系统 / App", "System / app", "IT"),
                   ("sales", "销售行为", "Sales practice", "RETAIL"),
                   ("other", "其他", "Other", "OPS")]

# Per profile: who registers, and complaints (category, what it is about) with the unit they go to.
WALKS = {
    "bank": ("staff1", [("waiting", "城东支行营业厅", "OPS"), ("system_app", "手机银行", "IT")]),
    "manufacturer": ("mkt1", [("product_quality", "空调压缩机异响", "QA"), ("delivery_delay", "订单延期", "PROD"),
                              ("quantity", "华南广州经销商到货数量不符", "SOUTH"), ("quantity", "杭州到货少两箱", "EAST")]),
    "real-estate": ("sales_desk", [("pre_promise", "样板间承诺的赠送面积", "SALESD"),
                                   ("post_property", "小区保洁不到位", "PROP"),
                                   ("post_property", "楼顶漏水无人维修", "ENG"), ("post_quality", "墙面开裂", "ENG")]),
    "retail": ("store1", [("goods_quality", "酸奶胀包", "GOODS"), ("price", "结账多收", "OPSD"),
                          ("price", "标价与收银价不符", "GOODS"), ("service", "收银员态度", "OPSD")]),
    "hotline": ("hall1", [("supply", "片区停气", "NET"), ("billing", "燃气表读数异常", "METER"),
                          ("conduct", "上门人员未出示工作证", "GEN")]),
    "insurer": ("counter1", [("underwriting", "投保被拒未说明理由", "UW"), ("claims", "住院理赔迟迟未到账", "CLAIMS"),
                             ("preservation", "变更受益人未办理", "POS"), ("mis_selling", "业务员称理财产品保本", "COMP"),
                             ("surrender", "退保金额不符", "POS"), ("premium", "重复扣款", "FIN")]),
}


def empty_database() -> None:
    _wipe()
    assert not profiles.has_organisation()


def test_the_bank_profile_is_exactly_the_demo_it_replaces(app):
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    assert sorted((u.code, u.name, u.name_en, u.kind.value, u.parent.code if u.parent else None)
                  for u in units.values()) == sorted(BANK_UNITS)
    assert sorted((u.username, u.name, u.role.value, u.unit.code) for u in db.session.scalars(select(User))) \
        == sorted(BANK_USERS)
    assert {u.email for u in db.session.scalars(select(User))} == {f"{u[0]}@example.com" for u in BANK_USERS}
    routed = {r.category_id: r.unit.code for r in db.session.scalars(select(RoutingRule))}
    assert sorted((c.code, c.name, c.name_en, routed[c.id]) for c in db.session.scalars(select(Category))) \
        == sorted(BANK_CATEGORIES)
    # Nothing beyond the old demo: the product's default clocks and notices stay in force.
    for model in (ObjectRoutingRule, DeadlineRule, NoticeTemplate):
        assert db.session.scalar(select(func.count()).select_from(model)) == 0
    assert seed_demo() is False   # an organisation is there: seeding again changes nothing


@pytest.mark.parametrize("name", sorted(WALKS))
def test_every_profile_loads_into_an_empty_database_and_routes_its_complaints(app, name):
    empty_database()
    assert seed_demo(name) is True
    profile = profiles.load(name)
    assert db.session.scalar(select(func.count()).select_from(Unit)) == len(profile["units"])
    for account in profile["users"]:   # every demo account signs in
        client = Client(app)
        assert client.login(account["username"]).status_code == 303, account["username"]
        assert client.get("/", follow_redirects=True).request.path != "/login"
    registrar, walks = WALKS[name]
    client = Client(app)
    client.login(registrar)
    required = required_fields(name)
    for category, about, unit in walks:
        complaint = register(client, category=str(category_id(category)), object_text=about, **required)
        assert suggested_department(complaint).unit.code == unit, (category, about)
        assert {f"x_{key}": value for key, value in (complaint.extra or {}).items()} == required


@pytest.mark.parametrize("name, registrar, dispatcher, category, about, handler", [
    ("manufacturer", "mkt1", "mkt_mgr", "quantity", "深圳经销商到货少两箱", "south1"),
    ("insurer", "counter1", "center1", "mis_selling", "业务员称分红险保本", "comp1"),
    ("hotline", "hotline1", "csdhead", "billing", "燃气表走字过快", "meter1"),
])
def test_a_profiles_complaint_is_dispatched_as_suggested_and_answered_there(app, name, registrar, dispatcher,
                                                                          category, about, handler):
    empty_database()
    seed_demo(name)
    complaint = register(signed_in(app, registrar), category=str(category_id(category)), object_text=about,
                         **required_fields(name))
    unit = suggested_department(complaint).unit
    assert dispatch(signed_in(app, dispatcher), complaint, unit.code).status_code == 303
    assert answer(signed_in(app, handler), complaint).status_code == 303
    answered = fresh(complaint)
    assert answered.state == ComplaintState.ANSWERED and answered.handling_unit_id == unit.id
    assert answered.latest_answer.author.username == handler


def required_fields(name: str) -> dict:
    """The form values of the profile's own required fields (created from the profile, asked for, kept)."""
    return {f"x_{f['name']}": (f.get("choices") or ["A-0017"])[0]
            for f in profiles.load(name).get("extra_fields") or [] if f.get("required")}


def signed_in(app, username: str) -> Client:
    client = Client(app)
    assert client.login(username).status_code == 303
    return client


def test_profile_titles_and_clocks_reach_the_database(app):
    empty_database()
    seed_demo("manufacturer")
    titles = {u.username: u.title for u in db.session.scalars(select(User))}
    assert titles["mkt_mgr"] == "市场部经理" and titles["gm"] == "总经理" and titles["admin"] is None
    manager = Client(app)
    manager.login("mkt_mgr")
    header = re.search(r'<span class="who">(.*?)</span>', manager.get("/", follow_redirects=True).text).group(1)
    assert "钱进 · 市场部经理 · " in header   # the organisation's title, beside the product's role
    progress = db.session.scalar(select(DeadlineRule).where(DeadlineRule.kind == DeadlineKind.PROGRESS))
    assert progress.period_minutes == 30
    empty_database()
    # The migrations store the product's default wording; the profile's own replaces it.
    db.session.add(NoticeTemplate(kind=NoticeKind.ACCEPTANCE, language="zh_CN", subject="默认", body="默认"))
    db.session.commit()
    seed_demo("hotline")
    [template] = db.session.scalars(select(NoticeTemplate)).all()
    assert template.language == "zh_CN" and "96296" in template.subject


def test_the_real_estate_general_manager_is_told_of_a_major_complaint_at_once(app):
    empty_database()
    seed_demo("real-estate")
    desk = Client(app)
    desk.login("prop_desk")
    complaint = register(desk, category=str(category_id("post_quality")), object_text="3号楼顶层漏水",
                         **required_fields("real-estate"),
                         media="y")
    assert complaint.is_major and suggested_department(complaint).unit.code == "ENG"
    told = db.session.scalars(select(OutboxMessage.to_addr)).all()
    assert "gm@example.com" in told and "deskhead@example.com" in told   # 总经理 and the desk's head
    assert "salesd1@example.com" not in told


def test_the_manufacturers_order_data_are_fields_of_its_registration_form(app):
    empty_database()
    seed_demo("manufacturer")
    client = Client(app)
    client.login("mkt1")
    quality = client.get(f"/intake/new/fields?category={category_id('product_quality')}").text
    assert "客户代号" in quality and "发票号码" in quality and "不良数量" in quality
    assert "不良数量" not in client.get(f"/intake/new/fields?category={category_id('delivery_delay')}").text


def test_the_extra_fields_are_checked_and_kept_for_the_custom_fields_code():
    fields = {f["name"]: f for f in profiles.load("manufacturer")["extra_fields"]}
    assert fields["customer_code"]["required"] is True and fields["unit_price"]["type"] == "money"
    assert fields["defect_quantity"]["categories"] == ["product_quality", "packaging"]
    assert profiles.load("real-estate")["extra_fields"][0]["choices"] == ["业主", "准业主", "意向客户"]


# A broken profile: refused with the file, the line and the reason.

GOOD = (Path(profiles.PROFILE_DIR) / "retail.yaml").read_text(encoding="utf-8")


def broken(tmp_path, old: str, new: str) -> ProfileError:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as refused:
        profiles.load("mine", tmp_path)
    error = refused.value
    assert error.path == tmp_path / "mine.yaml" and str(error).startswith(f"{tmp_path / 'mine.yaml'}:")
    return error


def line_of(text: str) -> int:
    """The line of the profile that holds `text` after the change."""
    return next(number for number, line in enumerate(GOOD.splitlines(), 1) if text in line)


def test_a_yaml_syntax_error_is_refused_with_its_line(tmp_path):
    error = broken(tmp_path, "name_en: Goods Department, kind", "name_en: [Goods Department, kind")
    assert error.line == line_of("name_en: Goods Department") and "not valid YAML" in error.reason


@pytest.mark.parametrize("old, new, where, reason", [
    ("kind: department, parent: HQ}\n  - {code: GOODS", "kind: departmnt, parent: HQ}\n  - {code: GOODS",
     "code: OPSD", "'kind' is 'departmnt'; it must be one of: head_office, branch, department, service_center"),
    ("name: 杜鹃, role: staff", "name: 杜鹃, rank: staff", "username: store1", "unknown key 'rank' in users"),
    ("role: dept_staff, unit: OPSD, title: 营运专员", "role: dept_staff, unit: S01, title: 营运专员",
     "username: ops1", "a dept_staff account cannot sit in S01 (a branch)"),
    ("department: GOODS}\n  - {code: food_safety", "department: CSC}\n  - {code: food_safety",
     "code: goods_quality", "'department' is 'CSC'; it must be one of: GOODS, OPSD"),
    ("kind: branch, parent: HQ}\n  - {code: S02", "kind: branch, parent: S09}\n  - {code: S02",
     "code: S01", "parent 'S09' is not a unit listed above it"),
    ("{code: S02, name: 中山路店", "{code: S01, name: 中山路店", "code: S02", "code 'S01' appears twice in units"),
    ("type: money}", "type: currency}", "name: amount", "'type' is 'currency'"),
    ("type: date}", "type: choice}", "name: purchase_date", "a choice field needs 'choices'"),
    ("routing:", "routes:", "routing:", "unknown section 'routes'"),
    ("fallback: opshead", "fallback: nobody9", "fallback: opshead", "'fallback' is 'nobody9'; it must be one of:"),
    ("fallback: opshead", "fallback: director", "fallback: opshead",   # the leader: asked before the fallback
     "director is a leader: a leader and the service center are asked before the person named here"),
])
def test_a_schema_error_is_refused_with_the_line_of_the_key(tmp_path, old, new, where, reason):
    error = broken(tmp_path, old, new)
    assert error.line == line_of(where), str(error)
    assert reason in error.reason


def test_a_clock_that_depends_on_the_level_needs_one(tmp_path):
    rule = "{category: price, keyword: 标价, unit: GOODS}\n"
    error = broken(tmp_path, rule, rule + "deadlines:\n  - {kind: first_response, period_minutes: 30, "
                                          "remind_before_minutes: 10, escalate_after_minutes: 30}\n")
    assert error.line == line_of(rule.strip()) + 2
    assert error.reason == "the first_response clock depends on the level: give 'level', one of [1, 2, 3]"


def test_a_key_given_twice_is_refused_where_it_is_repeated(tmp_path):
    error = broken(tmp_path, "name_en: Youxuan Supermarkets", "name_en: Youxuan Supermarkets\n  name: 另一个名字")
    assert error.line == line_of("name_en: Youxuan Supermarkets") + 1 and "'name' appears twice" in error.reason


def test_a_missing_section_and_an_unknown_profile_are_refused(tmp_path):
    (tmp_path / "short.yaml").write_text("organisation: {name: 小店, name_en: Small shop}\nunits: []\n")
    with pytest.raises(ProfileError, match=r"short.yaml:1: the section 'categories' is missing"):
        profiles.load("short", tmp_path)
    with pytest.raises(ProfileError, match="no such profile"):
        profiles.load("bakery")


# The command line

@pytest.mark.one_backend
def test_seed_demo_takes_a_profile_and_refuses_a_broken_one(app):
    empty_database()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--profile", "insurer"])
    assert result.exit_code == 0 and "demo data created (insurer)" in result.output
    assert db.session.scalar(select(Category.name).where(Category.code == "mis_selling")) == "销售误导"
    result = runner.invoke(args=["seed-demo", "--profile", "no-such"])
    assert result.exit_code != 0 and "no such profile" in result.output


def test_setup_organisation_creates_the_organisation_and_one_administrator(app):
    empty_database()
    result = app.test_cli_runner().invoke(args=["setup-organisation", "--profile", "real-estate"])
    assert result.exit_code == 0, result.output
    password = re.search(r"shown only now.*: (\S+)", result.output).group(1)
    [admin] = db.session.scalars(select(User)).all()   # no demo accounts
    assert admin.username == "admin" and admin.role.value == "admin" and admin.must_change_password
    assert admin.unit.code == "CO"
    assert db.session.scalar(select(func.count()).select_from(Category)) == 7
    assert db.session.scalar(select(RoutingRule.unit_id).join(Category).where(Category.code == "post_property")) \
        == db.session.scalar(select(Unit.id).where(Unit.code == "PROP"))
    assert Client(app).login("admin", password).status_code == 303


@pytest.mark.one_backend
def test_setup_organisation_takes_a_chosen_password_and_refuses_a_weak_one(app):
    empty_database()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["setup-organisation", "--profile", "insurer", "--password", "password1"])
    assert result.exit_code != 0 and not profiles.has_organisation()
    result = runner.invoke(args=["setup-organisation", "--profile", "insurer", "--admin", "it_admin",
                                 "--password", "Kx7-Pq2-Wz9-long"])
    assert result.exit_code == 0 and "shown only now" not in result.output
    [admin] = db.session.scalars(select(User)).all()
    assert admin.username == "it_admin" and not admin.must_change_password
    assert Client(app).login("it_admin", "Kx7-Pq2-Wz9-long").status_code == 303


def test_setup_organisation_refuses_a_database_that_holds_an_organisation(app):
    before = db.session.scalar(select(func.count()).select_from(Unit))
    result = app.test_cli_runner().invoke(args=["setup-organisation", "--profile", "retail",
                                                "--password", "Kx7-Pq2-Wz9-long"])
    assert result.exit_code != 0 and "holds an organisation already" in result.output
    assert db.session.scalar(select(func.count()).select_from(Unit)) == before
    assert db.session.scalar(select(User).where(User.username == "storemgr1")) is None


@pytest.mark.one_backend
def test_the_administrator_gives_and_clears_an_accounts_title(app, client_for):
    admin = client_for("admin")
    head = db.session.scalar(select(User).where(User.username == "head1"))
    form = {"name": head.name, "email": head.email, "role": "branch_head", "unit": head.unit_id}
    assert admin.post(f"/admin/users/{head.id}", data={**form, "title": "网点负责人"}).status_code == 303
    assert 'value="网点负责人"' in admin.get(f"/admin/users/{head.id}").text
    assert "王芳 · 网点负责人 · " in client_for("head1").get("/", follow_redirects=True).text
    entry = db.session.scalars(select(AdminAuditEntry).where(AdminAuditEntry.action == "user_changed")).one()
    assert entry.changes == {"title": [None, "网点负责人"]}
    refused = admin.post(f"/admin/users/{head.id}", data={**form, "title": "长" * 51})
    assert refused.status_code == 422 and "长" * 51 in refused.text   # typed text kept
    assert admin.post(f"/admin/users/{head.id}", data={**form, "title": ""}).status_code == 303
    db.session.expire_all()
    assert db.session.get(User, head.id).title is None


# The organisation's own row: its name and the records it keeps

@pytest.mark.parametrize("name, shown, keeps", [
    ("bank", "示范银行股份有限公司", {}),
    ("manufacturer", "华东电器制造有限公司", {"statistics_sheet": {"unit": "MKT", "weekday": 1}}),
    ("hotline", "城市燃气服务有限公司", {"suggestions": True, "capa_signoff": True, "assessment_unit": "GEN"}),
])
def test_the_organisation_is_named_and_keeps_the_records_of_its_profile(app, name, shown, keeps):
    empty_database()
    seed_demo(name)
    page = Client(app).get("/track").text
    assert f'<span class="brand">{shown}</span>' in page
    records = dict(org_settings.current().records)
    # Beside them, the profile's criteria of a major complaint (services.severity), as the profile lists them.
    assert [item["criterion"] for item in records.pop("severity")] \
        == [item["criterion"] for item in profiles.load(name)["severity"]]
    # And the administrator's choice of plan approvers, as the profile seeds it.
    chosen = records.pop("plan_approval")
    assert chosen["leaders"] == "center"
    assert db.session.get(User, chosen["fallback"]).username == profiles.load(name)["plan_approval"]["fallback"]
    assert org_settings.profile_name() == name and records == keeps
    assert org_settings.keeps("capa_signoff") is (name == "hotline")


@pytest.mark.one_backend
def test_the_deployments_own_name_wins_over_the_profiles(app):
    app.config["ORGANISATION_NAME"] = "某某银行上海分行"
    assert '<span class="brand">某某银行上海分行</span>' in Client(app).get("/track").text


@pytest.mark.parametrize("old, new, where, reason", [
    ("quarterly_analysis: {due_day: 15}", "quarterly_analysis: {due_day: 31}", "quarterly_analysis",
     "must be a whole number from 1 to 28"),
    ("- {unit_kind: department, due_day: 5}", "- {unit_kind: departement, due_day: 5}", "unit_kind: departement",
     "must be one of: head_office, branch, department, service_center"),
    ("quarterly_analysis:", "quarterly_analyses:", "quarterly_analysis", "unknown record 'quarterly_analyses'"),
    ("annual_report: {due_day: 20}", "annual_report: {due_day: 20, month: 2}", "annual_report",
     "unknown key 'month' (known: due_day)"),
])
def test_a_broken_record_setting_is_refused_with_its_line(tmp_path, old, new, where, reason):
    error = broken(tmp_path, old, new)
    assert error.line == line_of(where.replace("departement", "department")), str(error)
    assert reason in error.reason
