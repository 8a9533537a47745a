"""Each role's list page and the complaint page stay within a CPU budget, measured as a ratio to a
bare page in the same app and the same run (issue 20): a page that gets twice as slow fails here,
whatever the machine, while noise does not.

The bare page has bench/baseline.py's shape: signed in like the others, one row read through
SQLAlchemy, a one-line template. time.process_time() counts this process's CPU only (the test
client, the app and SQLite all run in it), and the pages are requested in turn, one request each,
so a busy machine slows the bare page as much as the others and the ratios hold.

Ratios measured on a 2-core CI machine on 2026-12-02 (SQLite, 20 complaints, 10 of them
dispatched; 5 rounds of 4 requests a page, the median round), lowest–highest of 3 runs, nothing else
running, after the lists' statements were built once per shape of reader and their rows' words
worked out with the rows, the session read as plain values and the pool's ping dropped for busy
connections (issue 20); before, in brackets, from the earlier runs of this test:

    page                               ratio today   budget
    department queue  /department/      1.65–1.71      2.7   (2.40–2.45)
    branch queue      /branch/          1.64–1.80      2.9   (2.32–2.58)
    center overview   /center/          1.97–2.06      3.3   (3.17–3.59)
    待我处理          /work/            1.63–1.70      2.7   (2.08–2.21) its groups in one statement
    navigation counts /work/counts      0.97–1.07      1.7   (1.09–1.15)
    ledger            /ledger/          3.49–3.70      5.9   (4.08–5.09)
    complaint page    /complaints/<id>  6.61–6.96     11.1   (7.52–7.80) a repeat with 8 similar cases
    … to dispatch     /complaints/<id>  6.80–7.03     11.2   (7.49–7.55) a registered case: the dispatch form

Each budget is 1.6× the highest ratio seen, not 2×: the test client and the sign-in check cost the
same in a page as in the bare page, so a page whose own work doubles moves its ratio by 1.8–2.0×
(checked by running each view twice in a request), and a budget at 2× would let that through. The
runs above spread by 5% at most (by 15% at load averages of 4–7), inside the 60% margin.
"""
from __future__ import annotations

import gc
import random
import statistics
import time

import pytest
from flask import render_template_string
from flask_login import login_required
from sqlalchemy import text

from extensions import db
from tests.conftest import complaint_form
from tests.helpers import dispatch, register

ROUNDS, REQUESTS, WARM_UP = 5, 4, 2

# The page's CPU as a multiple of the bare page's: 1.6× the highest ratio measured (table above).
BUDGETS = {
    "department queue": 2.7,
    "branch queue": 2.9,
    "center overview": 3.3,
    "待我处理": 2.7,
    "navigation counts": 1.7,
    "ledger": 5.9,
    "complaint page": 11.1,
    "complaint page, to dispatch": 11.2,
}


def add_bare_page(app) -> None:
    """bench/baseline.py's page inside the app under test: before the first request, as Flask
    wants; signed in like every page, one row read through SQLAlchemy, a one-line template."""
    @login_required
    def bare():
        number = db.session.scalar(text("SELECT number FROM complaint ORDER BY id LIMIT 1"))
        return render_template_string("<!DOCTYPE html><title>baseline</title><p>{{ number }}</p>", number=number)
    app.add_url_rule("/_bare", "bare_page", bare)


@pytest.mark.one_backend
def test_pages_stay_within_their_cpu_budget_against_a_bare_page(app, client_for):
    add_bare_page(app)
    staff = client_for("staff1")
    complaints = [register(staff, customer_contact=f"1380013{n:04d}") for n in range(20)]
    for complaint in complaints[:10]:
        dispatch(staff, complaint)
    department, head, center = client_for("dept1"), client_for("head1"), client_for("center1")
    pages = {
        "bare page": (center, "/_bare"),
        "department queue": (department, "/department/"),
        "branch queue": (head, "/branch/"),
        "center overview": (center, "/center/"),
        "待我处理": (department, "/work/"),
        "navigation counts": (department, "/work/counts"),   # every page asks for them as it loads
        "ledger": (center, "/ledger/"),
        "complaint page": (center, f"/complaints/{complaints[0].id}"),
        "complaint page, to dispatch": (center, f"/complaints/{complaints[10].id}"),   # with the dispatch form
    }
    for client, url in pages.values():
        for _ in range(WARM_UP):
            assert client.get(url).status_code == 200, url
    # Interleaved request by request, the bare page between every two pages: whatever slows the
    # machine for a moment (another process on the core's other half, a busy cache) slows every page
    # and the bare page alike, and the bare page, the smallest, is measured six times as often.
    names = list(BUDGETS)
    order = [name for page in names for name in ("bare page", page)]
    cpu = {name: [] for name in pages}   # CPU seconds a request, one figure a round
    gc.collect()
    gc.freeze()   # what the run has made so far: no collection during the rounds walks it again
    try:
        for _ in range(ROUNDS):
            spent = dict.fromkeys(pages, 0.0)
            for _ in range(REQUESTS):
                for name in order:
                    client, url = pages[name]
                    start = time.process_time()
                    response = client.get(url)
                    spent[name] += time.process_time() - start
                    assert response.status_code == 200, url
            for name in pages:
                cpu[name].append(spent[name] / (REQUESTS * order.count(name)))
    finally:
        gc.unfreeze()
    ratios = {name: statistics.median(page / bare for page, bare in zip(cpu[name], cpu["bare page"]))
              for name in names}
    bare = statistics.median(cpu["bare page"])
    print(f"\nbare page: {bare * 1000:.2f} ms CPU a request")
    for name, ratio in ratios.items():
        print(f"{name:18} {statistics.median(cpu[name]) * 1000:6.2f} ms  ratio {ratio:5.2f}"
              f"  budget {BUDGETS[name]:5.1f}")
    over = {name: round(ratio, 2) for name, ratio in ratios.items() if ratio > BUDGETS[name]}
    assert over == {}, f"pages over their CPU budget (ratio to the bare page): {over}"


# A registration through the form, against the same bare page: 1.6× the highest ratio measured
# (SQLite, 2026-12-02, 5 runs: 4.10–4.25 after the complaint and its clocks were written outside the
# unit of work; 5.28–5.51 before, 3 runs on the same machine in turn). 4.26–4.43 since the bare page
# itself got cheaper (its session read as plain values, 3 runs): the budget kept, 1.53× that.
REGISTRATION_BUDGET = 6.8


def own_words(rng: random.Random, length: int) -> str:
    """Words no other customer uses (bench/intake.py's): routine complaints, not repeats of each other."""
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(length))


@pytest.mark.one_backend
def test_registration_stays_within_its_cpu_budget_against_a_bare_page(app, client_for):
    add_bare_page(app)
    staff, center = client_for("staff1"), client_for("center1")
    rng = random.Random(20)

    def registration(n: int):
        return staff.post("/intake/new", data=complaint_form(
            customer_contact=f"139{n:08d}", content=own_words(rng, 40), object_text=own_words(rng, 6) + str(n)))
    for n in range(WARM_UP * 2):
        assert registration(n).status_code == 303
        assert center.get("/_bare").status_code == 200
    spent = {"bare page": [], "registration": []}
    gc.collect()
    gc.freeze()
    try:
        for n in range(100, 100 + ROUNDS * REQUESTS):
            for name, request in (("bare page", lambda: center.get("/_bare")), ("registration", lambda: registration(n))):
                start = time.process_time()
                response = request()
                spent[name].append(time.process_time() - start)
                assert response.status_code in (200, 303), name
    finally:
        gc.unfreeze()
    ratio = statistics.median(spent["registration"]) / statistics.median(spent["bare page"])
    print(f"\nregistration: {statistics.median(spent['registration']) * 1000:.2f} ms CPU, ratio {ratio:.2f},"
          f" budget {REGISTRATION_BUDGET}")
    assert ratio <= REGISTRATION_BUDGET, f"a registration costs {ratio:.2f}× the bare page, over {REGISTRATION_BUDGET}"
