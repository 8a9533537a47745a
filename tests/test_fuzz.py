"""Property-based tests (hypothesis): random data posted to every form of the app, and extreme values in
every query parameter of every GET route, never cause a server error; text that looks like script shows
as text on the complaint page."""
from __future__ import annotations

import ast
import os
import re
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from markupsafe import escape

from blueprints.complaints.incident import INCIDENT_ACTIONS
from blueprints.complaints.routes import ACTIONS
from models import Role
from services import custom_fields
from services.demo import seed_demo
from tests.conftest import _wipe, complaint_form
from tests.helpers import category_id, register
from tests.test_matrix import ACCOUNTS, KEYED, PUBLIC, SESSION_ENDING, TABLE, cases_handled_by_both_units, routes_of

# Every form gets a few examples, the same ones each run (derandomized), so the suite's time is steady
# and a failure is reproducible. HYPOTHESIS_PROFILE=deep explores: many fresh random examples per form.
_COMMON = dict(deadline=None, database=None,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.register_profile("ci", max_examples=4, derandomize=True, **_COMMON)
settings.register_profile("deep", max_examples=200, **_COMMON)
ROOT = Path(__file__).resolve().parent.parent
FUZZ = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

NASTY = st.sampled_from([
    "", " ", "0", "-1", "99999999999999999999", "1e309", "NaN", "null", "true", "[]", "{}",
    "2026-02-30", "2026-13-45T25:61", "9999-12-31T23:59", "0000-00-00", "24:00", "-5:00",
    "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "'; DROP TABLE complaint; --",
    "\x00", "a\x00b", "\ud7ff" * 3, "🙂" * 50, "x" * 20_000, "%s%s%n", "../../etc/passwd",
])
VALUE = st.one_of(NASTY, st.text(max_size=300), st.integers(min_value=-2**70, max_value=2**70).map(str),
                  st.lists(st.text(max_size=20), min_size=2, max_size=3))   # a list: the field posted twice


def field_names(client, page: str) -> list[str]:
    """The names of the inputs of the page's forms (the fields the user could send)."""
    names = set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', client.get(page).text))
    return sorted(names - {"csrf_token"})


def posted_data(fields: list[str]):
    known = st.dictionaries(st.sampled_from(fields), VALUE, max_size=len(fields)) if fields else st.just({})
    unknown = st.dictionaries(st.text(min_size=1, max_size=10), VALUE, max_size=2)
    return st.tuples(known, unknown).map(lambda pair: {**pair[1], **pair[0]})


def fuzz_post(client, url: str, fields: list[str]) -> None:
    @FUZZ
    @given(posted_data(fields))
    def never_a_server_error(data):
        response = client.post(url, data=data)
        assert response.status_code < 500, (url, data, response.status_code)
    never_a_server_error()


def fuzz_targets(app, cases) -> list[tuple[Role | None, str, str | None]]:
    """(who posts, URL, page showing its form) for every POST route of the url_map: as a role the table
    lets in; each action of the complaint page and of the incident page separately."""
    targets = []
    for endpoint, method in sorted(routes_of(app)):
        if method != "POST" or (endpoint, method) in SESSION_ENDING:
            continue    # logging out reads no field
        rule = TABLE[(endpoint, method)]
        who = None if rule.who in (PUBLIC, KEYED) else (Role.CENTER if Role.CENTER in rule.who else min(rule.who))
        if endpoint == "complaints.act":
            for complaint in (cases["own"]["complaint"], cases["own"]["waiting"]):
                targets += [(Role.CENTER, f"/complaints/{complaint}/{action}", f"/complaints/{complaint}")
                            for action in ACTIONS]
        elif endpoint == "complaints.incident_act":
            page = f"/complaints/incidents/{cases['own']['incident']}"
            targets += [(Role.CENTER, f"{page}/{action}", page) for action in INCIDENT_ACTIONS]
        elif endpoint == "intake.validate_field":
            targets += [(who, f"/intake/new/validate/{name}", "/intake/new")
                        for name in ("customer_contact", "received_at", "category", "level")]
        else:
            page = rule.form_page.format(**cases["own"]) if rule.form_page else None
            targets.append((who, rule.url.format(**cases["own"]), page))
    return targets


def test_random_posts_to_every_form_never_fail_with_a_server_error(app, client_for, tmp_path):
    cases = cases_handled_by_both_units(client_for, tmp_path)
    targets = fuzz_targets(app, cases)
    assert len(targets) > 30
    clients = {}
    for who, url, page in targets:
        if who not in clients:
            clients[who] = client_for(ACCOUNTS[who]) if who else _anonymous(app)
        client = clients[who]
        fuzz_post(client, url, field_names(client, page) if page else [])


def _anonymous(app):
    from tests.conftest import Client
    client = Client(app)
    client.token = client.csrf()
    return client


def test_unknown_and_absurd_ids_in_urls_are_404_not_errors(client_for):
    client = client_for("center1")

    @FUZZ
    @given(st.integers(min_value=0, max_value=2**80), st.sampled_from(["contact", "visit", "nope", "dispatch"]))
    def never_a_server_error(complaint_id, action):
        for url in (f"/complaints/{complaint_id}", f"/complaints/{complaint_id}/notice",
                    f"/complaints/incidents/{complaint_id}"):
            assert client.get(url).status_code == 404
        assert client.post(f"/complaints/{complaint_id}/{action}", data={f"{action}-version": "1"}).status_code == 404
    never_a_server_error()


SCRIPTS = st.builds(lambda inner, outer: f"{outer}<script>{inner}</script>{outer}".strip() or "<script></script>",
                    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
                    st.sampled_from(["", "客户说", '"><img src=x onerror=alert(1)>', "</textarea>"]))


@pytest.mark.one_backend
def test_script_like_text_shows_escaped_on_the_complaint_page(client_for):
    staff = client_for("staff1")
    plain = staff.get("/intake/").text.count("<script")         # the page's own scripts (htmx)

    @FUZZ
    @given(SCRIPTS)
    def shows_as_text(payload):
        complaint = register(staff, category=str(category_id("waiting")), customer_name=payload[:100],
                             content=payload, demand=payload, object_text=payload[:200])
        page = staff.get(f"/complaints/{complaint.id}").text
        assert str(escape(payload)) in page
        assert page.count("<script") == plain
        assert "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
    shows_as_text()


@pytest.mark.one_backend
def test_the_register_form_keeps_hostile_input_and_says_what_is_wrong(client_for):
    """A bad form comes back with messages (422) and what was typed, escaped."""
    response = client_for("staff1").post("/intake/new", data=complaint_form(
        customer_contact="<script>alert(1)</script>", received_at="2026-02-30T25:61", category="999999"))
    assert response.status_code == 422
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text and "<script>alert(1)" not in response.text


def test_a_nul_character_is_refused_not_a_server_error(client_for):
    """Found by the fuzz test on PostgreSQL, which cannot store NUL in text."""
    response = client_for("staff1").post("/intake/new", data=complaint_form(content="a\x00b"))
    assert response.status_code == 400


def test_an_id_beyond_a_database_integer_is_404(client_for):
    """Found by the fuzz test: SQLite overflowed on 2**63."""
    assert client_for("center1").get(f"/complaints/{2**63}").status_code == 404


# The query parameters each GET route reads (from its view and the GET forms it reads request.args into).
# Every GET route of the url_map must be listed: a new route's parameters get fuzzed from the day it ships.
# (blueprints.ui.check_page_number reads `page` before every request; the lists use it.)
LEDGER_FILTER = ["q", "customer", "date_from", "date_to", "unit", "category", "channel", "severity", "level", "state",
                 "overdue", "satisfaction", "kind", "nature", "sort"]
PERIOD = ["period", "from", "to", "unit"]
AUDIT_FILTER = ["source", "date_from", "date_to", "username", "number", "action"]
QUERY_PARAMETERS = {
    "static": [], "health.healthz": [], "auth.login": [], "auth.home": [], "auth.session_status": [],
    "auth.change_password": [], "intake.mine": ["page"], "intake.register": [],
    "intake.customer_history": ["customer_mobile", "customer_id_number", "customer_account",
                                "customer_contact"], "branch.queue": ["page"],
    "branch.approvals": ["page"], "department.queue": ["page"], "center.overview": ["page"],
    "center.incidents": ["page"], "center.visits": ["page"], "work.index": [], "work.counts": [],
    "complaints.show": ["actions"], "complaints.more_actions": [], "complaints.dispatch_handlers": ["dispatch-unit"],
    "complaints.notice": [], "complaints.incident": [],
    "admin.index": [], "admin.rules": [], "admin.repeat_rule": [], "admin.calendar_overrides": ["page"],
    "admin.units": [],
    "admin.edit_unit": [], "admin.users": ["q", "page"], "admin.edit_user": [], "admin.categories": [],
    "admin.routing": [], "admin.edit_routing_rule": [], "admin.mail_check": [], "admin.outbox": ["page"],
    "attachments.download": [], "admin.api_key_list": ["page"],
    "admin.fields": ["edit"], "intake.extra_fields": ["category", "x_region"],
    "api.openapi": [], "api.docs": [], "api.list_complaints": ["mobile"], "api.show_complaint": [],
    "notices.index": [], "public.complain": [], "public.track": ["number"], "public.use_link": [],
    "public.status": [], "ledger.index": LEDGER_FILTER + ["after", "before", "export"],
    "ledger.count": LEDGER_FILTER, "ledger.export_status": [], "ledger.download": [], "ledger.print_form": [],
    "ledger.customer": ["mobile", "id_number", "account", "page"],
    "reports.statistics": PERIOD, "reports.periodic": PERIOD, "reports.periodic_print": PERIOD,
    "reports.periodic_excel": PERIOD, "reports.assessment": PERIOD, "reports.assessment_excel": PERIOD,
    "reports.actions": ["status", "page"], "reports.new_action": [],
    "penalties.index": ["status", "page"], "penalties.propose": [], "penalties.show": [],
    "reports.capa_records": ["status", "page"], "reports.capa_fill": [], "reports.capa_show": [],
    "reports.capa_print": [],
    "audit.index": AUDIT_FILTER + ["page"], "audit.export": AUDIT_FILTER,
    "statistics_sheet.print_sheet": [], "statistics_sheet.week_list": ["week"],
    "statistics_sheet.week_excel": ["week"],
    "surveys.index": [], "surveys.new": [], "surveys.show": [], "surveys.export": [],
    "surveys.answer": [],
    "periodic.index": [], "periodic.show": [],
}
EDGE_QUERY_VALUES = st.sampled_from([
    "0001-01-01", "9999-12-31", "1999-12-31", "2000-01-01", "2036-11-24", "2036-11-25", "2026-02-29",
    "9999-W52", "0001-W01", "2026-W53", "2026-W00", "9999-Q4", "0001-Q1", "9999-12", "0001", "9999", "2026-13",
    "99999999999999999999", "-99999999999999999999", "10001", "-1", "0", "1e309", "1_000_000", "٣",
    "\x00", "a\x00b", b"\xff\xfe\xfd", b"%\xc0\xaf", "\ud7ff", "🙂" * 40, "x" * 5000, "' OR 1=1 --",
])
QUERY_VALUE = st.one_of(EDGE_QUERY_VALUES, st.text(max_size=50),
                        st.integers(min_value=-2**70, max_value=2**70).map(str))


def get_targets(app, cases) -> list[tuple[Role | None, str, list[str]]]:
    """(who asks, URL, its query parameters) for every GET route, as a role the matrix lets in."""
    targets = []
    for endpoint, method in sorted(routes_of(app)):
        if method != "GET":
            continue
        rule = TABLE[(endpoint, method)]
        who = None if rule.who in (PUBLIC, KEYED) else (Role.CENTER if Role.CENTER in rule.who else min(rule.who))
        targets.append((who, rule.url.format(**cases["own"]), QUERY_PARAMETERS[endpoint]))
    targets.append((Role.ADMIN, "/audit/", QUERY_PARAMETERS["audit.index"]))   # the administrator's own source
    return targets


# Tried on each parameter alone, every run: one of each kind that broke a view before (a year 1 or 9999
# in the date arithmetic, a period past 9999, an integer beyond the database's, NUL). Broken encodings and
# the rest come in the random combinations below.
SWEEP = ["0001-01-01", "9999-12-31", "9999-W52", "0001", "99999999999999999999", "a\x00b"]
# Sent as it stands, not encoded again: bytes that are no UTF-8 and escapes that are no escapes.
RAW_SWEEP = "%ff%fe%c0%af%zz%"


def fuzz_get(client, url: str, parameters: list[str]) -> None:
    for name in parameters:
        for value in SWEEP:
            response = client.get(url, query_string=urlencode({name: value}))
            assert response.status_code < 500, (url, name, value, response.status_code)
        response = client.get(url, query_string=f"{quote(name)}={RAW_SWEEP}")
        assert response.status_code < 500, (url, name, RAW_SWEEP, response.status_code)

    # Random combinations besides, with `page` and an unknown name on every route.
    names = st.sampled_from(parameters + ["page", "x"])

    @FUZZ
    @given(st.dictionaries(names, QUERY_VALUE, max_size=4), st.booleans())
    def never_a_server_error(query, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = client.get(url, query_string=urlencode(query), headers=headers)
        assert response.status_code < 500, (url, query, response.status_code)
    never_a_server_error()


@pytest.mark.one_backend
def test_every_get_route_has_its_query_parameters_listed(app):
    gets = {endpoint for endpoint, method in routes_of(app) if method == "GET"}
    assert gets == set(QUERY_PARAMETERS), "list the query parameters of a new GET route in QUERY_PARAMETERS"


def test_extreme_query_parameters_of_every_get_route_never_fail_with_a_server_error(app, client_for, tmp_path):
    cases = cases_handled_by_both_units(client_for, tmp_path)
    clients = {}
    for who, url, parameters in get_targets(app, cases):
        if who not in clients:
            clients[who] = client_for(ACCOUNTS[who]) if who else _anonymous(app)
        fuzz_get(clients[who], url, parameters)


def test_the_ledger_filters_of_an_organisations_own_fields_never_fail_with_a_server_error(client_for):
    """The ledger's f_<key> filters exist only where the organisation defines text or choice fields."""
    _wipe()
    seed_demo("insurer")
    filters = [custom_fields.FILTER_PREFIX + field.key for field in custom_fields.filterable()]
    assert len(filters) >= 2
    client = client_for("center1")
    for url in ("/ledger/", "/ledger/count"):
        fuzz_get(client, url, filters)


@pytest.mark.one_backend
def test_query_parameters_lists_every_request_args_key_each_get_view_reads(app):
    """Every literal request.args.get("...") / request.args["..."] of a view that answers GET (or of a
    helper of its module) is among its QUERY_PARAMETERS, so the fuzz sends it."""
    views = {}   # (module, function name) -> the GET endpoints it serves
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "GET" in rule.methods:
            views.setdefault((view.__module__, view.__name__), set()).add(rule.endpoint)
    missing = []
    for path in sorted((ROOT / "blueprints").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text())
        of_module = set().union(*(QUERY_PARAMETERS.get(e, []) for (m, _f), es in views.items() if m == module
                                  for e in es))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef):
                continue
            keys = _args_keys(function)
            endpoints = views.get((module, function.name))
            if endpoints is not None:
                missing += [(e, key) for e in endpoints for key in keys if key not in QUERY_PARAMETERS[e]]
            elif keys and not _is_view(function) and module != "blueprints.ui":   # ui: `page`, fuzzed everywhere
                missing += [(module, key) for key in keys if key not in of_module]
    assert not missing, "add these to QUERY_PARAMETERS"


def _args_keys(function: ast.FunctionDef) -> set[str]:
    def is_args(node):
        return isinstance(node, ast.Attribute) and node.attr == "args" and getattr(node.value, "id", "") == "request"
    keys = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                and is_args(node.func.value) and node.args and isinstance(node.args[0], ast.Constant):
            keys.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and is_args(node.value) and isinstance(node.slice, ast.Constant):
            keys.add(node.slice.value)
    return keys


def _is_view(function: ast.FunctionDef) -> bool:
    """A route of some method (a POST-only view reads its own arguments, not fuzzed as GET parameters)."""
    return any(isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in ("route", "get", "post")
               for d in function.decorator_list)
