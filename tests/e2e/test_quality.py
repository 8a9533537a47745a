"""Every page of every role, in a real browser: valid HTML (the W3C Nu HTML checker, vnu.jar),
no serious or critical accessibility violation (axe-core), nothing wider than an office screen;
the approvals usable on a phone; the register form usable with the keyboard alone.

The pages are found by following the links of each role's pages from its home page (same origin,
no sign-out or language switch, no downloads), so pages added later are checked too. The tools
come from package-lock.json (`make setup` runs `npm ci`) and need java and node."""
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from itertools import chain
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from playwright.sync_api import expect

from tests.conftest import Client
from tests.e2e.test_slice import sign_in
from tests.helpers import dispatch, register, version_of

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent.parent
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ROLES = ["staff1", "lobby1", "head1", "dept1", "depthead1", "center1", "leader1", "admin"]
PAGES_PER_ROLE = 40
# Pages of one kind checked per role: two records (/complaints/1 and /complaints/2: other states,
# other forms), but a page once (/reports/weekly, not also ?period=2026-W46: the same template).
SAME_KIND_PER_ROLE = {"record": 2, "page": 1}
SKIP = re.compile(r"/logout|/language|/static/|\.(csv|xlsx|pdf|zip)(\?|$)|/export|/download|/print|/attachments/\d")
OFFICE, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def tools():
    missing = [what for what, ok in (("java", shutil.which("java")), ("node", shutil.which("node")),
                                     (str(VNU), VNU.exists()), (str(AXE), AXE.exists())) if not ok]
    if missing:
        reason = f"browser-quality checks need {', '.join(missing)} (make setup runs npm ci)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)


def some_of_everything(app):
    """Complaints in several states, so the queues, lists and complaint pages have content; returns
    the first, registered by staff1 and not yet dispatched."""
    staff = Client(app)
    staff.login("staff1")
    first = register(staff)
    dispatch(staff, register(staff, customer_name="李四"))
    major = register(staff, litigation="y", customer_name="赵六")
    staff.act(major.id, "plan", {"steps": "1. 调取录像\n2. 当面致歉", "responsible": "李强", "due_date": "2026-11-26",
                                 "version": version_of(staff, major.id)})
    # A wave of similar complaints: the similar cases on their pages, the early warning on the center's.
    from services import jobs
    from tests.test_similarity import WAVE
    for _user, channel, contact, content, about in WAVE:
        register(staff, channel=channel, customer_contact=contact, content=content, object_text=about)
    jobs.watch_waves()
    return first


def kind_of(url: str) -> str:
    return re.sub(r"\d+", "N", urlparse(url).path)


def checked_per_role(url: str) -> int:
    return SAME_KIND_PER_ROLE["record" if re.search(r"\d", urlparse(url).path) else "page"]


def crawl(page, base: str):
    """Open every page reachable from the current one; yields (url, HTML as the server sent it)
    with the page loaded in the browser."""
    queue, seen, found, kinds = [page.url], {page.url}, 0, Counter()
    while queue and found < PAGES_PER_ROLE:
        url = queue.pop(0)
        response = page.goto(url)
        assert response.status == 200, f"{url} answered {response.status}"
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        found += 1
        yield url, response.text()
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            href = urldefrag(href).url
            if not href.startswith(base) or href in seen or SKIP.search(href):
                continue
            seen.add(href)
            if kinds[kind_of(href)] < checked_per_role(href):
                kinds[kind_of(href)] += 1
                queue.append(href)


def as_document(fragment: str) -> str:
    """An HTMX fragment inside the least document the checker takes, so that only the fragment is judged."""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>fragment</title></head>'
            f"<body><main>{fragment}</main></body></html>")


def what_links_do_not_reach(page, base: str, complaint_id: int):
    """The owner's pages no link leads to: the customer's earlier complaints under the register form
    (an HTMX fragment, checked in its page) and the customer's page only that fragment links to; a
    case page as it shows right after an action, its confirmation on top."""
    page.goto(f"{base}/intake/new")
    history = page.get_by_test_id("customer-history")
    with page.expect_response(lambda r: "/intake/history" in r.url and "13800138000" in r.url) as fragment:
        page.locator("#customer_contact").fill("13800138000")
    expect(history.locator("a[href*='/ledger/customer']")).to_have_count(1)
    yield fragment.value.url, as_document(fragment.value.text())
    customer = history.locator("a[href*='/ledger/customer']").get_attribute("href")
    response = page.goto(urljoin(page.url, customer))
    assert response.status == 200, f"{page.url} answered {response.status}"
    expect(page.get_by_test_id("customer-search")).to_be_visible()
    yield page.url, response.text()

    page.goto(f"{base}/complaints/{complaint_id}")
    more = page.get_by_test_id("more-actions")
    more.locator("summary").click()
    form = more.locator("#action-contact")
    form.get_by_label("沟通内容").fill("已电话联系客户，说明处理进度。")
    with page.expect_navigation() as navigation:
        form.get_by_role("button").click()
    expect(page.get_by_role("status").filter(has_text="已记录")).to_be_focused()
    yield page.url + "#confirmation", navigation.value.text()


def axe_problems(page) -> list[str]:
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']}))
        .violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')}`)""")
    return violations


# Without an account: the sign-in page and the customer's pages (complaint form, tracking); then each
# role. One test each, so that the test workers share them (all in one took a worker 4–5 minutes).
VISITORS = ["/login", "/complain", "/track"] + ROLES


@pytest.mark.parametrize("visitor", VISITORS)
def test_every_page_of_every_role_is_valid_accessible_html(tools, live_server, browser, sqlite_app, tmp_path, visitor):
    first = some_of_everything(sqlite_app)
    pages: dict[str, str] = {}
    problems: list[str] = []
    # CSP would block the injected axe script; the app's own CSP is tested elsewhere.
    context = browser.new_context(viewport=OFFICE, locale="zh-CN", bypass_csp=True)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15_000)
    if visitor.startswith("/"):
        page.goto(f"{live_server}{visitor}")
    else:
        sign_in(page, live_server, visitor)
    visits = crawl(page, live_server)
    if visitor == "staff1":
        visits = chain(visits, what_links_do_not_reach(page, live_server, first.id))
    for n, (url, html) in enumerate(visits):
        name = f"{visitor.strip('/')}-{n:02d}.html"
        pages[name] = url
        (tmp_path / name).write_text(html)
        problems += [f"{visitor} {url}: {p}" for p in axe_problems(page)]
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > OFFICE["width"]:
            problems.append(f"{visitor} {url}: {width} px wide at {OFFICE['width']} px")
    context.close()
    # A role reaches its queues, lists and complaints from its home page; a visitor at least the one page.
    assert len(pages) >= (1 if visitor.startswith("/") else 5), sorted(pages.values())
    if visitor == "staff1":
        for unlinked in ("/intake/history?", "/ledger/customer?", "#confirmation"):
            assert any(unlinked in url for url in pages.values()), f"{unlinked} not checked"

    # One run of the checker over the visitor's pages (it takes seconds to start).
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    for message in json.loads(result.stderr or '{"messages": []}')["messages"]:
        name = Path(urlparse(message.get("url", "")).path).name
        hint = " (write htmx attributes as data-hx-…)" if "“hx-" in message["message"] else ""
        problems.append(f"HTML {pages.get(name, name)} line {message.get('lastLine')}: {message['message']}{hint}")
    assert problems == [], "\n".join(problems)


def test_approvals_and_sign_in_fit_a_phone(live_server, browser, sqlite_app):
    some_of_everything(sqlite_app)
    for username, path in [(None, "/login"), (None, "/complain"), (None, "/track"), ("head1", "/branch/approvals"),
                           ("leader1", "/branch/approvals")]:
        context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
        page = context.new_page()
        if username:
            sign_in(page, live_server, username)
        page.goto(live_server + path)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{username} {path}"
        expect(page.get_by_role("heading").first).to_be_in_viewport()
        context.close()


def test_the_register_form_works_with_the_keyboard_alone(live_server, page, sqlite_app):
    sign_in(page, live_server, "staff1")
    page.goto(f"{live_server}/intake/new")
    typed = {"customer_name": "键盘用户", "customer_contact": "13800138000", "content": "只用键盘登记的投诉。",
             "demand": "希望改进。", "object_text": "城东支行营业厅"}
    done = set()
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate("""() => { const e = document.activeElement;
            return {name: e.name || '', tag: e.tagName, type: e.type || '', value: e.value || '',
                    inForm: !!e.closest('[data-testid=register-form]')} }""")
        name = focused["name"]
        if name in typed and name not in done:
            page.keyboard.type(typed[name])
            done.add(name)
        elif name == "category" and name not in done:
            page.keyboard.press("ArrowDown")          # the first category
            done.add(name)
        elif focused["tag"] == "BUTTON" and focused["type"] == "submit" and focused["inForm"]:
            assert done >= set(typed) | {"category"}, done
            page.keyboard.press("Enter")
            break
    expect(page).to_have_url(re.compile(r"/complaints/\d+$"), timeout=30_000)
    expect(page.get_by_text("键盘用户").first).to_be_visible()
