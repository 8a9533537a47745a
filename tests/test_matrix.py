"""The authorization matrix: every role × every route of app.url_map × a complaint (or incident) of
the user's own unit and of a foreign one, against the table below. A route that is not in the
table fails the suite: a new route needs a policy (and a line here) before it ships.

Reading the table: per endpoint and method, the URL tried, who gets in, whether the unit matters
(the URL names a complaint or an incident; whoever cannot see it gets 404, so nothing is revealed)
and the status of a request that gets in. Everyone else gets 403, and anonymous visitors are sent
to the login page. POSTs send an empty form: whoever gets in sees the form's messages (422) and
nothing changes."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

import pytest
from flask import current_app
from sqlalchemy import select

from werkzeug.datastructures import FileStorage

from extensions import db
from models import CalendarOverride, Complaint, ComplaintState, CustomField, FieldType, ObjectRoutingRule, Role, User
from services import attachments, clock
from tests.conftest import Client
from tests.helpers import answer, dispatch, give_result, register, unit_id, version_of

ALL_ROLES = frozenset(Role)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PUBLIC = "public"          # also without signing in
KEYED = "keyed"            # the channels' API: a key, never a session; every client here has none (401).
                           # Who gets in with which key: tests/test_api.py
TO_LOGIN = "to the login page"
BRANCH = {Role.STAFF, Role.LOBBY_MANAGER, Role.BRANCH_HEAD}
REGISTER = ALL_ROLES - {Role.ADMIN}       # whoever receives a complaint registers it (首问负责制)
DEPARTMENT = {Role.DEPT_STAFF, Role.DEPT_HEAD}
OWNER_SIDE = BRANCH | {Role.CENTER}          # the first-responsible owner, their supervisors, the center
LEDGER = ALL_ROLES - {Role.ADMIN}


@dataclass(frozen=True)
class Rule:
    url: str                        # {own} / {foreign}: the id of the complaint or incident
    who: frozenset | str            # the roles that get in, or PUBLIC
    unit_matters: bool = False      # the URL names a complaint or an incident: visible to the user?
    status: int | str = 200         # the answer to whoever gets in
    form_page: str | None = None    # for the fuzz test: the page that shows the form posted here
    gate: frozenset | None = None   # roles let past a first role check; the others get 403 before the case
    sees_own: frozenset | None = None   # who sees the own side's case, where not every role does (SEES_OWN)


def roles(*names) -> frozenset:
    found = set()
    for name in names:
        found |= set(name) if isinstance(name, (set, frozenset)) else {name}
    return frozenset(found)


# The expectations, one line per endpoint and method.
TABLE: dict[tuple[str, str], Rule] = {
    ("static", "GET"): Rule("/static/css/app.css", PUBLIC),
    ("health.healthz", "GET"): Rule("/healthz", PUBLIC),
    ("auth.login", "GET"): Rule("/login", PUBLIC),
    ("auth.login", "POST"): Rule("/login", PUBLIC, status=422, form_page="/login"),
    ("auth.logout", "POST"): Rule("/logout", PUBLIC, status=TO_LOGIN),
    ("auth.switch_user", "POST"): Rule("/switch-user", PUBLIC, status=TO_LOGIN),
    # Back to the page it was sent from; without one, to the login page.
    ("auth.language", "POST"): Rule("/language", PUBLIC, status=TO_LOGIN, form_page="/login"),
    ("auth.home", "GET"): Rule("/", ALL_ROLES, status=302),
    ("auth.session_status", "GET"): Rule("/session/status", ALL_ROLES),
    ("auth.session_keepalive", "POST"): Rule("/session/keepalive", ALL_ROLES),
    ("auth.change_password", "GET"): Rule("/password", ALL_ROLES),
    ("auth.change_password", "POST"): Rule("/password", ALL_ROLES, status=422, form_page="/password"),

    ("intake.mine", "GET"): Rule("/intake/", REGISTER),
    ("intake.register", "GET"): Rule("/intake/new", REGISTER),
    ("intake.register", "POST"): Rule("/intake/new", REGISTER, status=422, form_page="/intake/new"),
    ("intake.customer_history", "GET"): Rule("/intake/history", REGISTER),
    ("intake.extra_fields", "GET"): Rule("/intake/new/fields", REGISTER),
    ("intake.validate_field", "POST"): Rule("/intake/new/validate/customer_name", REGISTER,
                                            form_page="/intake/new"),
    ("branch.queue", "GET"): Rule("/branch/", roles(Role.LOBBY_MANAGER, Role.BRANCH_HEAD)),
    # The approving roles, and the person named for the plans nobody else may approve: the bank names
    # its department head (profiles/bank.yaml), who may approve none of the plans here.
    ("branch.approvals", "GET"): Rule("/branch/approvals", roles(Role.BRANCH_HEAD, Role.LEADER, Role.CENTER,
                                                                 Role.DEPT_HEAD)),
    ("department.queue", "GET"): Rule("/department/", DEPARTMENT),
    ("center.overview", "GET"): Rule("/center/", roles(Role.CENTER, Role.LEADER)),
    # 待我处理, everyone's home but the administrator's, and the counts the navigation loads.
    ("work.index", "GET"): Rule("/work/", REGISTER),
    ("work.counts", "GET"): Rule("/work/counts", REGISTER),
    # Approving from the approvals page: no such plan for the approvers, 403 for everyone else first.
    ("branch.review", "POST"): Rule("/branch/approvals/999999", roles(Role.BRANCH_HEAD, Role.LEADER, Role.CENTER,
                                                                      Role.DEPT_HEAD), status=404),
    ("center.incidents", "GET"): Rule("/center/incidents", roles(Role.CENTER, Role.LEADER)),
    ("center.visits", "GET"): Rule("/center/visits", roles(Role.CENTER)),
    # The early warning's buttons (集中投诉预警): no such alert, 404 for the center and the leader.
    ("center.open_wave_incident", "POST"): Rule("/center/warnings/999999/incident", roles(Role.CENTER, Role.LEADER),
                                                status=404),
    ("center.dismiss_wave", "POST"): Rule("/center/warnings/999999/dismiss", roles(Role.CENTER, Role.LEADER),
                                          status=404),

    ("complaints.show", "GET"): Rule("/complaints/{complaint}", ALL_ROLES, unit_matters=True),
    # The forms behind "more actions", fetched when the page's reader opens them.
    ("complaints.more_actions", "GET"): Rule("/complaints/{complaint}/actions", ALL_ROLES, unit_matters=True),
    ("complaints.notice", "GET"): Rule("/complaints/{complaint}/notice", ALL_ROLES, unit_matters=True),
    # The dispatch form's people of a unit: for whoever may dispatch the case waiting for it (which the
    # departments do not see yet).
    ("complaints.dispatch_handlers", "GET"): Rule("/complaints/{waiting}/dispatch/handlers", OWNER_SIDE,
                                                  unit_matters=True, sees_own=roles(BRANCH, Role.CENTER, Role.LEADER)),
    # Logging a contact with the customer: the owner's side and the handling department, not the leader.
    ("complaints.act", "POST"): Rule("/complaints/{complaint}/contact", roles(OWNER_SIDE, DEPARTMENT),
                                     unit_matters=True, status=422, form_page="/complaints/{complaint}?actions=all"),
    # Linking a similar complaint: the center and the leader; these two share an incident already,
    # which the page says after the redirect.
    ("complaints.link_similar", "POST"): Rule("/complaints/{complaint}/similar/{waiting}/link",
                                              roles(Role.CENTER, Role.LEADER), unit_matters=True, status=303,
                                              form_page="/complaints/{complaint}", gate=roles(Role.CENTER, Role.LEADER)),
    ("complaints.incident", "GET"): Rule("/complaints/incidents/{incident}", ALL_ROLES, unit_matters=True),
    # Dispatching an incident's complaints: the owner's side only (the department sees it, may not).
    ("complaints.incident_act", "POST"): Rule("/complaints/incidents/{incident}/dispatch", OWNER_SIDE,
                                              unit_matters=True, status=422,
                                              form_page="/complaints/incidents/{incident}"),

    ("admin.index", "GET"): Rule("/admin/", roles(Role.ADMIN)),
    ("admin.unit_hours", "POST"): Rule("/admin/units/{unit}/hours", roles(Role.ADMIN), status=303,
                                       form_page="/admin/"),
    ("admin.rules", "GET"): Rule("/admin/rules", roles(Role.ADMIN)),
    ("admin.save_plan_approval", "POST"): Rule("/admin/rules/plans", roles(Role.ADMIN), status=422,
                                               form_page="/admin/rules"),
    ("admin.save_rule", "POST"): Rule("/admin/rules/dispatch/0", roles(Role.ADMIN), status=422,
                                      form_page="/admin/rules"),
    ("admin.repeat_rule", "GET"): Rule("/admin/repeat-rule", roles(Role.ADMIN)),
    ("admin.repeat_rule", "POST"): Rule("/admin/repeat-rule", roles(Role.ADMIN), status=422,
                                        form_page="/admin/repeat-rule"),
    ("admin.calendar_overrides", "GET"): Rule("/admin/calendar", roles(Role.ADMIN)),
    ("admin.calendar_overrides", "POST"): Rule("/admin/calendar", roles(Role.ADMIN), status=422,
                                               form_page="/admin/calendar"),
    ("admin.delete_override", "POST"): Rule("/admin/calendar/2026-12-31/delete", roles(Role.ADMIN), status=303,
                                            form_page="/admin/calendar"),
    ("admin.units", "GET"): Rule("/admin/units", roles(Role.ADMIN)),
    ("admin.create_unit", "POST"): Rule("/admin/units", roles(Role.ADMIN), status=422, form_page="/admin/units"),
    ("admin.edit_unit", "GET"): Rule("/admin/units/{unit}", roles(Role.ADMIN)),
    ("admin.edit_unit", "POST"): Rule("/admin/units/{unit}", roles(Role.ADMIN), status=422,
                                      form_page="/admin/units/{unit}"),
    # A branch with people is neither deactivated nor deleted: the form says why.
    ("admin.unit_active", "POST"): Rule("/admin/units/{unit}/active", roles(Role.ADMIN), status=422,
                                        form_page="/admin/units/{unit}"),
    ("admin.delete_unit", "POST"): Rule("/admin/units/{unit}/delete", roles(Role.ADMIN), status=422,
                                        form_page="/admin/units/{unit}"),
    ("admin.users", "GET"): Rule("/admin/users", roles(Role.ADMIN)),
    ("admin.create_user", "POST"): Rule("/admin/users", roles(Role.ADMIN), status=422, form_page="/admin/users"),
    ("admin.edit_user", "GET"): Rule("/admin/users/{user}", roles(Role.ADMIN)),
    ("admin.edit_user", "POST"): Rule("/admin/users/{user}", roles(Role.ADMIN), status=422,
                                      form_page="/admin/users/{user}"),
    # The throwaway account of the matrix: disabled (again), its password reset and shown once.
    ("admin.user_active", "POST"): Rule("/admin/users/{user}/active", roles(Role.ADMIN), status=303,
                                        form_page="/admin/users/{user}"),
    ("admin.hand_over_all", "POST"): Rule("/admin/users/{user}/handover", roles(Role.ADMIN), status=422),
    ("admin.reset_password", "POST"): Rule("/admin/users/{user}/password", roles(Role.ADMIN),
                                           form_page="/admin/users/{user}"),
    ("admin.categories", "GET"): Rule("/admin/categories", roles(Role.ADMIN)),
    ("admin.create_category", "POST"): Rule("/admin/categories", roles(Role.ADMIN), status=422,
                                            form_page="/admin/categories"),
    ("admin.save_category", "POST"): Rule("/admin/categories/1", roles(Role.ADMIN), status=422,
                                          form_page="/admin/categories"),
    ("admin.routing", "GET"): Rule("/admin/routing", roles(Role.ADMIN)),
    ("admin.create_routing_rule", "POST"): Rule("/admin/routing", roles(Role.ADMIN), status=422,
                                                form_page="/admin/routing"),
    ("admin.edit_routing_rule", "GET"): Rule("/admin/routing/{rule}", roles(Role.ADMIN)),
    ("admin.edit_routing_rule", "POST"): Rule("/admin/routing/{rule}", roles(Role.ADMIN), status=422,
                                              form_page="/admin/routing/{rule}"),
    # Each side has a rule of its own to delete: the administrator's first try deletes it.
    ("admin.delete_routing_rule", "POST"): Rule("/admin/routing/{doomed_rule}/delete", roles(Role.ADMIN),
                                                status=303, form_page="/admin/routing/{doomed_rule}"),
    ("admin.mail_check", "GET"): Rule("/admin/mail", roles(Role.ADMIN)),
    ("admin.mail_check", "POST"): Rule("/admin/mail", roles(Role.ADMIN), status=422, form_page="/admin/mail"),
    ("admin.outbox", "GET"): Rule("/admin/outbox", roles(Role.ADMIN)),
    # No such message: the administrator gets 404, everyone else 403 before the look-up.
    ("admin.retry_message", "POST"): Rule("/admin/outbox/999999/retry", roles(Role.ADMIN), status=404),

    # Evidence: added by whoever acts on the open case, downloaded by whoever sees the case.
    ("attachments.upload", "POST"): Rule("/attachments/complaint/{complaint}", roles(OWNER_SIDE, DEPARTMENT, Role.LEADER),
                                         unit_matters=True, status=422, form_page="/complaints/{complaint}"),
    ("attachments.download", "GET"): Rule("/attachments/{attachment}", ALL_ROLES, unit_matters=True),
    ("notices.index", "GET"): Rule("/admin/notice-templates/", roles(Role.ADMIN)),
    ("notices.save", "POST"): Rule("/admin/notice-templates/acceptance/zh_CN", roles(Role.ADMIN), status=422,
                                   form_page="/admin/notice-templates/"),
    ("notices.save_sms", "POST"): Rule("/admin/notice-templates/sms/acceptance", roles(Role.ADMIN), status=303,
                                       form_page="/admin/notice-templates/"),

    # The customer's pages. A staff session gives no access to a complaint's tracking page: without
    # its number and code in this browser, everyone is sent back to the lookup (303), the same
    # answer whether the number exists or not.
    ("public.complain", "GET"): Rule("/complain", PUBLIC),
    ("public.complain", "POST"): Rule("/complain", PUBLIC, status=422, form_page="/complain"),
    ("public.track", "GET"): Rule("/track", PUBLIC),
    ("public.track", "POST"): Rule("/track", PUBLIC, status=422, form_page="/track"),
    ("public.ask_for_link", "POST"): Rule("/track/link", PUBLIC, status=422, form_page="/track"),
    ("public.use_link", "GET"): Rule("/track/link/not-a-token", PUBLIC),
    ("public.use_link", "POST"): Rule("/track/link/not-a-token", PUBLIC, status=303,
                                      form_page="/track/link/not-a-token"),
    ("public.status", "GET"): Rule("/track/{number}", PUBLIC, status=303),
    ("public.add_information", "POST"): Rule("/track/{number}/information", PUBLIC, status=303,
                                             form_page="/track"),
    ("public.survey", "POST"): Rule("/track/{number}/survey", PUBLIC, status=303, form_page="/track"),

    ("ledger.index", "GET"): Rule("/ledger/", LEDGER),
    ("ledger.count", "GET"): Rule("/ledger/count", LEDGER),
    # An empty export request names no format: 400 (the ledger's buttons always send one).
    ("ledger.export", "POST"): Rule("/ledger/export", LEDGER, status=400, form_page="/ledger/"),
    ("ledger.export_status", "GET"): Rule("/ledger/exports/not-a-job", LEDGER, status=404),
    ("ledger.download", "GET"): Rule("/ledger/exports/not-a-job/download", LEDGER, status=404),
    ("ledger.customer", "GET"): Rule("/ledger/customer", LEDGER),
    ("ledger.print_form", "GET"): Rule("/ledger/{complaint}/print", ALL_ROLES, unit_matters=True),

    # The manufacturer's 投诉统计表: the bank (this table's organisation) keeps none, so 404 for everyone
    # signed in; who gets in where it is kept: tests/test_statistics_sheet.py.
    ("statistics_sheet.print_sheet", "GET"): Rule("/sheet/{complaint}", ALL_ROLES, status=404),
    ("statistics_sheet.week_list", "GET"): Rule("/sheet/weekly", ALL_ROLES, status=404),
    ("statistics_sheet.week_excel", "GET"): Rule("/sheet/weekly.xlsx", ALL_ROLES, status=404),

    # Statistics and reports: each unit its own figures, the center and the leaders everyone's.
    ("reports.statistics", "GET"): Rule("/reports/", LEDGER),
    ("reports.periodic", "GET"): Rule("/reports/monthly", LEDGER),
    ("reports.periodic_print", "GET"): Rule("/reports/weekly/print", LEDGER),
    ("reports.periodic_excel", "GET"): Rule("/reports/quarterly.xlsx", LEDGER),
    ("reports.assessment", "GET"): Rule("/reports/assessment", roles(Role.CENTER, Role.LEADER)),
    ("reports.assessment_excel", "GET"): Rule("/reports/assessment.xlsx", roles(Role.CENTER, Role.LEADER)),
    ("reports.actions", "GET"): Rule("/reports/actions", LEDGER),
    # A corrective action is recorded by the department that answered, or the center.
    ("reports.new_action", "GET"): Rule("/reports/actions/new/{complaint}", roles(DEPARTMENT, Role.CENTER),
                                        unit_matters=True, gate=LEDGER),
    ("reports.new_action", "POST"): Rule("/reports/actions/new/{complaint}", roles(DEPARTMENT, Role.CENTER),
                                         unit_matters=True, gate=LEDGER, status=422,
                                         form_page="/reports/actions/new/{complaint}"),
    # An action one cannot see does not exist.
    ("reports.action_done", "POST"): Rule("/reports/actions/999999/done", LEDGER, status=404,
                                          form_page="/reports/actions"),
    # 纠正及预防措施记录表: kept only where the profile says so (the hotline, tests/test_capa_signoff.py,
    # which checks who fills, signs and sees it); the bank keeps none, so every page of it is 404.
    ("reports.capa_records", "GET"): Rule("/reports/capa", LEDGER, status=404),
    ("reports.capa_fill", "GET"): Rule("/reports/capa/new/{complaint}", LEDGER, status=404),
    ("reports.capa_fill", "POST"): Rule("/reports/capa/new/{complaint}", LEDGER, status=404),
    ("reports.capa_show", "GET"): Rule("/reports/capa/999999", LEDGER, status=404),
    ("reports.capa_print", "GET"): Rule("/reports/capa/999999/print", LEDGER, status=404),
    ("reports.capa_sign_off", "POST"): Rule("/reports/capa/999999/signoff", LEDGER, status=404),
    ("reports.capa_send_back", "POST"): Rule("/reports/capa/999999/return", LEDGER, status=404),

    # Penalty proposals (处罚意见): off for the bank, which has no assessment unit: 404 for everyone signed
    # in. Who gets in where the profile has one (the hotline's 综合部): tests/test_penalties.py.
    ("penalties.index", "GET"): Rule("/penalties/", ALL_ROLES, status=404),
    ("penalties.propose", "GET"): Rule("/penalties/new/{complaint}", ALL_ROLES, status=404),
    ("penalties.propose", "POST"): Rule("/penalties/new/{complaint}", ALL_ROLES, status=404,
                                        form_page="/penalties/new/{complaint}"),
    ("penalties.show", "GET"): Rule("/penalties/999999", ALL_ROLES, status=404),
    ("penalties.decide", "POST"): Rule("/penalties/999999/decide", ALL_ROLES, status=404),
    ("penalties.execute", "POST"): Rule("/penalties/999999/execute", ALL_ROLES, status=404),
    # The periodic reports (月报, 季度书面分析): only where the profile keeps them, which the bank of this
    # matrix does not, so every role that could have them gets 404. Who sees, writes and reads which
    # report in the retail chain: tests/test_periodic_reports.py.
    ("periodic.index", "GET"): Rule("/periodic/", LEDGER, status=404),
    ("periodic.show", "GET"): Rule("/periodic/1", LEDGER, status=404),
    ("periodic.submit", "POST"): Rule("/periodic/1/submit", LEDGER, status=404, form_page="/periodic/1"),
    ("periodic.read", "POST"): Rule("/periodic/1/read", LEDGER, status=404, form_page="/periodic/1"),

    ("admin.api_key_list", "GET"): Rule("/admin/api-keys", roles(Role.ADMIN)),
    ("admin.create_api_key", "POST"): Rule("/admin/api-keys", roles(Role.ADMIN), status=422,
                                           form_page="/admin/api-keys"),
    ("admin.revoke_api_key", "POST"): Rule("/admin/api-keys/999999/revoke", roles(Role.ADMIN), status=404,
                                           form_page="/admin/api-keys"),
    ("admin.fields", "GET"): Rule("/admin/fields", roles(Role.ADMIN)),
    ("admin.define_field", "POST"): Rule("/admin/fields", roles(Role.ADMIN), status=422, form_page="/admin/fields"),
    ("admin.field_active", "POST"): Rule("/admin/fields/999999/active", roles(Role.ADMIN), status=404,
                                         form_page="/admin/fields"),

    ("api.openapi", "GET"): Rule("/api/v1/openapi.json", PUBLIC),
    ("api.docs", "GET"): Rule("/api/v1/docs", PUBLIC),
    ("api.create_complaint", "POST"): Rule("/api/v1/complaints", KEYED),
    ("api.list_complaints", "GET"): Rule("/api/v1/complaints", KEYED),
    ("api.show_complaint", "GET"): Rule("/api/v1/complaints/{number}", KEYED),
    ("api.add_information", "POST"): Rule("/api/v1/complaints/{number}/information", KEYED),
    ("api.add_evidence", "POST"): Rule("/api/v1/complaints/{number}/evidence", KEYED),

    # The customers' opinion survey (用户意见调查表) is kept by the real estate profile only: for the
    # bank, every page of it is 404 to everyone, signed in or not. Where it is kept, the center makes
    # and sends rounds, the leader reads them, the customer answers behind a personal link:
    # tests/test_survey.py.
    ("surveys.index", "GET"): Rule("/surveys/", PUBLIC, status=404),
    ("surveys.new", "GET"): Rule("/surveys/new", PUBLIC, status=404),
    ("surveys.new", "POST"): Rule("/surveys/new", PUBLIC, status=404, form_page="/surveys/new"),
    ("surveys.show", "GET"): Rule("/surveys/1", PUBLIC, status=404),
    ("surveys.export", "GET"): Rule("/surveys/1.xlsx", PUBLIC, status=404),
    ("surveys.send", "POST"): Rule("/surveys/1/send", PUBLIC, status=404),
    ("surveys.answer", "GET"): Rule("/survey/not-a-token", PUBLIC, status=404),
    ("surveys.answer", "POST"): Rule("/survey/not-a-token", PUBLIC, status=404, form_page="/survey/not-a-token"),

    ("audit.index", "GET"): Rule("/audit/", roles(Role.CENTER, Role.LEADER, Role.ADMIN)),
    ("audit.export", "GET"): Rule("/audit/export.csv", roles(Role.CENTER, Role.LEADER, Role.ADMIN)),
}

# One account per role; "own" is a case of its unit (or handled by it), "foreign" one of another branch
# handled by another department. The center and the leader see every case; the administrator none.
ACCOUNTS = {Role.STAFF: "staff1", Role.LOBBY_MANAGER: "lobby1", Role.BRANCH_HEAD: "head1",
            Role.DEPT_STAFF: "dept1", Role.DEPT_HEAD: "depthead1", Role.CENTER: "center1",
            Role.LEADER: "leader1", Role.ADMIN: "admin"}
SEES_FOREIGN = {Role.CENTER, Role.LEADER}
SEES_OWN = ALL_ROLES - {Role.ADMIN}
SESSION_ENDING = {("auth.logout", "POST"), ("auth.switch_user", "POST")}


def routes_of(app) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


@pytest.mark.one_backend
def test_every_route_has_a_policy(app):
    missing = routes_of(app) - TABLE.keys()
    assert not missing, f"new route without a policy (add it to tests/test_matrix.py): {sorted(missing)}"
    assert not TABLE.keys() - routes_of(app), "the table names routes that no longer exist"
    assert set(ACCOUNTS) == set(Role), "every role needs an account in the matrix"


def cases_handled_by_both_units(client_for, attachments_dir) -> dict:
    """Per side, a complaint that has had its result (so every page of it exists) with a photo, and an
    incident whose second complaint still waits for dispatch; and a throwaway account for the admin pages."""
    current_app.config["ATTACHMENTS_DIR"] = str(attachments_dir)
    made = {}
    throwaway = User(username="matrix-temp", name="临时账号", email="temp@example.test", role=Role.STAFF,
                     unit_id=unit_id("BR01"))
    throwaway.set_password("Matrix-temp-2026")
    db.session.add(throwaway)
    db.session.commit()
    for side, (staff, branch_unit, dept, dept_code) in {
            "own": ("staff1", "BR01", "dept1", "OPS"), "foreign": ("staff2", "BR02", "dept2", "RETAIL")}.items():
        owner, department = client_for(staff), client_for(dept)
        complaint = register(owner, kind="concentrated", new_incident=f"{branch_unit} 停电")
        dispatch(owner, complaint, dept_code)
        assert answer(department, complaint).status_code == 303
        assert give_result(owner, complaint).status_code == 303
        waiting = register(owner, kind="concentrated", incident=str(complaint.incident_id))
        db.session.expire_all()
        assert db.session.get(Complaint, complaint.id).state == ComplaintState.AWAITING_VISIT
        evidence = attachments.store(complaint, FileStorage(io.BytesIO(PNG), "photo.png"), owner_user(staff))
        rule = ObjectRoutingRule(object_unit_id=unit_id(branch_unit), unit_id=unit_id(dept_code))
        doomed_rule = ObjectRoutingRule(object_keyword=f"{branch_unit} 理财", unit_id=unit_id("RETAIL"))
        db.session.add_all([rule, doomed_rule])
        db.session.commit()
        made[side] = {"complaint": complaint.id, "incident": complaint.incident_id, "unit": unit_id(branch_unit),
                      "waiting": waiting.id, "attachment": evidence.id, "user": throwaway.id,
                      "number": complaint.number, "rule": rule.id, "doomed_rule": doomed_rule.id}
    db.session.add(CalendarOverride(day=date(2026, 12, 31), workday=True, note="matrix"))
    db.session.commit()
    return made


def expected(rule: Rule, role: Role | None, side: str) -> int | str:
    if rule.who == KEYED:      # a signed-in session opens no door of the API
        return 401
    if rule.who == PUBLIC:
        return rule.status
    if role is None:
        return TO_LOGIN
    if rule.gate is not None and role not in rule.gate:
        return 403
    if rule.unit_matters and role not in ((rule.sees_own or SEES_OWN) if side == "own" else SEES_FOREIGN):
        return 404
    return rule.status if role in rule.who else 403


def outcome(response) -> int | str:
    if response.status_code in (302, 303) and response.location.startswith("/login"):
        return TO_LOGIN
    return response.status_code


def owner_user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


# One backend: who gets in is decided by the roles and policy.py, whose conditions both databases
# answer alike; what the list queries return per unit is tested on both (test_access, test_ledger).
@pytest.mark.one_backend
def test_the_authorization_matrix(app, client_for, tmp_path):
    cases = cases_handled_by_both_units(client_for, tmp_path)
    clients = {role: client_for(username) for role, username in ACCOUNTS.items()}
    anonymous = Client(app)
    anonymous.token = anonymous.csrf()
    clients[None] = anonymous
    mismatches, checked = [], 0
    for (endpoint, method), rule in sorted(TABLE.items()):
        sides = ["own", "foreign"] if "{" in rule.url else ["own"]
        for role, client in clients.items():
            if (endpoint, method) in SESSION_ENDING:     # a throwaway session: this ends it
                client = client_for(ACCOUNTS[role]) if role else Client(app)
                client.token = client.token or client.csrf()
            for side in sides:
                url = rule.url.format(**cases[side])
                response = client.get(url) if method == "GET" else client.post(url)
                got, want = outcome(response), expected(rule, role, side)
                checked += 1
                if got != want:
                    mismatches.append(f"{method} {url} as {role.value if role else 'anonymous'} ({side}): "
                                      f"{got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)
    assert checked > 300


# The complaint page's actions the matrix's one case (a case with its result) cannot tell apart, and
# test_refusals does not try: per action, the case it is tried on and the roles that get through to its
# form (an empty form: 422); everyone else who sees the case gets 403, whoever does not see it 404.
THROUGH = {
    # The head of the handling unit (here 运营管理部) assigns its handler.
    "assign": ("dispatched", roles(Role.DEPT_HEAD)),
    # The owner before dispatch, the branch head of the case and the center.
    "reclassify": ("registered", roles(Role.STAFF, Role.BRANCH_HEAD, Role.CENTER)),
    # The owner's head; the administrator hands over from the user's page (it sees no case).
    "handover": ("registered", roles(Role.BRANCH_HEAD)),
    # The organisation's own fields: the registering unit and the center.
    "fields": ("registered", roles(BRANCH, Role.CENTER)),
    # A clock moved by hand: the center and the leader.
    "adjust": ("registered", roles(Role.CENTER, Role.LEADER)),
}
SEES = {"dispatched": SEES_OWN, "registered": roles(BRANCH, Role.CENTER, Role.LEADER)}


@pytest.mark.one_backend
def test_every_role_on_the_actions_that_change_who_holds_or_what_a_case_is(client_for):
    staff = client_for("staff1")
    cases = {"registered": register(staff).id, "dispatched": register(staff).id}
    dispatch(staff, db.session.get(Complaint, cases["dispatched"]))
    db.session.add(CustomField(key="matrix_order", label_zh="订单号", label_en="Order", type=FieldType.TEXT,
                               required=True, created_at=clock.now()))     # a field added since: to correct
    db.session.commit()
    mismatches = []
    for role, username in ACCOUNTS.items():
        client = client_for(username)
        for action, (case, through) in THROUGH.items():
            want = 404 if role not in SEES[case] else 422 if role in through else 403
            got = client.act(cases[case], action, {}).status_code
            if got != want:
                mismatches.append(f"{action} as {role.value}: {got}, expected {want}")
    assert not mismatches, "\n".join(mismatches)


def test_a_lobby_manager_of_a_branch_a_complaint_is_sent_to_assigns_its_handler(client_for):
    center, lobby = client_for("center1"), client_for("lobby1")
    complaint = register(center)
    assert dispatch(center, complaint, "BR01").status_code == 303
    assert 'id="action-assign"' in lobby.get(f"/complaints/{complaint.id}?actions=all").text
    assert lobby.act(complaint.id, "assign", {"assignee": owner_user("staff1").id, "note": "请跟进",
                                              "version": version_of(lobby, complaint.id)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).assignee == owner_user("staff1")
