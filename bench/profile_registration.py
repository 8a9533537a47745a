"""Where a registration's CPU goes, in-process through Flask's test client: `--requests` complaints
registered through the real form (bench/intake.py's data) by staff1, under cProfile, the top
functions by cumulative and by own time; with --cpu, the CPU a registration without the profiler
and its ratio to the bare page (bench/profile_pages.py's) requested between every two; with
--cpu-clock, the profile counts CPU time, not wall time (without the waits for PostgreSQL, but
with the profiler's own cost, which grows with the calls: compare shares, not milliseconds).

    .venv/bin/python bench/profile_registration.py [--requests 100] [--top 40] [--cpu | --cpu-clock]

It writes to the benchmark database (BENCH_DATABASE_URL, as bench/intake.py: it must hold the demo
organisation); the complaints it registers stay there, as intake.py's do.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import statistics
import time

from common import DATABASE_URL
from intake import CATEGORY_RE, TOKEN_RE, Clerk
from profile_pages import make_app, signed_in


class InProcessClerk(Clerk):
    """intake.Clerk's form, posted through the test client."""

    def __init__(self, client):   # not super().__init__(), which signs in over HTTP
        self.client = client
        page = client.get("/intake/new").text
        self.csrf = TOKEN_RE.search(page).group(1)
        options = CATEGORY_RE.findall(page.split('name="category"', 1)[1].split("</select>", 1)[0])
        self.categories = [value for value in options if value != "0"]
        self.cookie = client.get_cookie("session").value

    def register(self, n: int) -> None:
        path, data = self.form(n)
        response = self.client.post(path, data=data)
        assert response.status_code == 303, (response.status_code, re.findall(r'class="error[^"]*">([^<]+)', response.text))
        self.client.set_cookie("session", self.cookie)   # the message is its next page's (intake.Clerk.request)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--cpu", action="store_true", help="CPU a registration and its ratio, no profiler")
    parser.add_argument("--cpu-clock", action="store_true",
                        help="profile CPU time, not wall time (waits for PostgreSQL left out)")
    args = parser.parse_args()
    app = make_app(DATABASE_URL)
    clerk = InProcessClerk(signed_in(app, "staff1"))
    bare = signed_in(app, "center1")
    for n in range(10):   # warm up: templates compiled, statements prepared, settings read
        clerk.register(n)
        bare.get("/_bare")
    if args.cpu:
        spent = {"bare": [], "registration": []}
        waited = []   # the registration's wall time: its CPU and its waits for PostgreSQL
        for n in range(args.requests):
            for name, request in (("bare", lambda: bare.get("/_bare")), ("registration", lambda: clerk.register(n))):
                started, wall = time.process_time(), time.perf_counter()
                request()
                spent[name].append(time.process_time() - started)
                if name == "registration":
                    waited.append(time.perf_counter() - wall)
        ratio = statistics.median(spent["registration"]) / statistics.median(spent["bare"])
        print(f"bare page {statistics.median(spent['bare']) * 1000:.2f} ms, registration"
              f" {statistics.median(spent['registration']) * 1000:.2f} ms CPU (median), ratio {ratio:.2f};"
              f" registration {statistics.median(waited) * 1000:.2f} ms wall")
        return
    profiler = cProfile.Profile(time.process_time) if args.cpu_clock else cProfile.Profile()
    started = time.process_time()
    for n in range(args.requests):
        profiler.enable()
        clerk.register(n)
        profiler.disable()
    spent = (time.process_time() - started) / args.requests
    calls = sum(stat[1] for stat in pstats.Stats(profiler).stats.values()) / args.requests
    print(f"## registration: {calls:,.0f} function calls and {spent * 1000:.2f} ms CPU a registration under the profiler")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(f"### by {order}")
        print("\n".join(line.replace(os.path.dirname(os.__file__), "").replace(os.getcwd() + "/", "")
                        for line in out.getvalue().splitlines()
                        if line.strip() and not line.lstrip().startswith(("Ordered", "List reduced"))))


if __name__ == "__main__":
    main()
