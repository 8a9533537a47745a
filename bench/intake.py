"""Complaints registered per second through the real form path — CSRF, validation, numbering, repeat
detection, deadlines, timeline, outbox and the Redis enqueue — on PostgreSQL behind gunicorn
(2 workers), against the machine's baseline page measured in the same run.

    .venv/bin/python bench/intake.py [--complaints 1000000] [--seconds 10] [--clients 8]

Every client is a different first-contact user of its own branch's counter, as in a busy morning.
"""
from __future__ import annotations

import datetime
import os
import random
import re
import threading
import uuid

from sqlalchemy import create_engine, text

from common import (DATABASE_URL, CpuMeter, Server, Session, ensure_database, load, load_arguments, machine,
                    measure_baseline)

REGISTERING_USERS = ("staff1", "lobby1", "staff2", "head1", "head2")
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CATEGORY_RE = re.compile(r'<option value="(\d+)"')
REGISTER = "/intake/new"


class Clerk(Session):
    """A signed-in first-contact user who keeps the register form's CSRF token and categories."""

    def __init__(self, port: int, username: str):
        super().__init__(port, username)
        page = self.request("GET", "/intake/new")[1]
        self.csrf = TOKEN_RE.search(page).group(1)
        options = CATEGORY_RE.findall(page.split('name="category"', 1)[1].split("</select>", 1)[0])
        self.categories = [value for value in options if value != "0"]      # 0 is "please choose"

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        # A registration's answer adds its message ("registered, next step …") to the session cookie,
        # for the page it redirects to; a browser follows it and the cookie shrinks back. Not following
        # it, the clerk would send every message so far with each post: keep the cookie as it was.
        kept = dict(self.cookies)
        status, text = super().request(method, path, form)
        if method == "POST" and path == REGISTER and status == 303:
            self.cookies = kept
        return status, text

    def form(self, n: int) -> tuple[str, dict]:
        received = (datetime.datetime.now() - datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
        return REGISTER, {
            "csrf_token": self.csrf, "submission_token": uuid.uuid4().hex, "customer_name": f"压测客户{n}",
            "customer_contact": f"139{n:08d}"[-11:], "channel": "counter", "received_at": received,
            "content": own_words() + "。", "demand": "希望改进排队管理。",
            # Routine complaints, each about its own object and in its own words: not repeats, which would
            # make each one major (the repeat rule counts complaints written alike, services.similarity).
            "object_text": f"{own_words(6)}{n}", "category": self.categories[n % len(self.categories)], "level": "3",
            "kind": "routine",
        }


def own_words(length: int = 40) -> str:
    """What a customer writes, in words no other customer uses: `length` characters drawn at random
    (the same sentence, or the same object, for all would make every complaint a repeat of the others,
    and have the similarity lookup score its 500 newest candidates for each one)."""
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(length))


def _stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM complaint")).scalar()


def main() -> None:
    args = load_arguments()
    count = ensure_database(args.complaints)
    print(f"# intake · {datetime.date.today()} · {machine()} · {count} complaints · {DATABASE_URL.split('://')[0]}"
          f" · Redis {os.environ.get('REDIS_URL', 'local')} · {args.web_workers} gunicorn workers")

    baseline = measure_baseline(args.clients, args.seconds)

    engine = create_engine(DATABASE_URL)
    before = _stored(engine)
    app = Server("app:create_app()", args.web_workers)
    clerks: dict[int, Clerk] = {}     # one per load thread, keyed by the thread

    def new_clerk() -> Clerk:
        clerk = Clerk(app.port, REGISTERING_USERS[len(clerks) % len(REGISTERING_USERS)])
        clerks[threading.get_ident()] = clerk
        return clerk
    try:
        intake = load(new_clerk, lambda i, n: clerks[threading.get_ident()].form(i * 1_000_000 + n),
                      args.clients, args.seconds, CpuMeter(app))
    finally:
        app.stop()
    stored = _stored(engine) - before
    print(f"stored {stored} complaints for {intake['requests'] - intake['errors']} accepted posts")
    print(f"{'path':34} {'req/s':>8} {'ratio':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for name, r in (("bare page (baseline)", baseline), ("register a complaint (POST)", intake)):
        print(f"{name:34} {r['rps']:8.1f} {r['rps'] / baseline['rps']:6.2f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f}"
              f" {r['errors']:7d}")
    cpu = {part: intake[f"cpu_{part}_ms"] for part in ("app", "postgres", "client")}
    print("CPU per registration: " + ", ".join(f"{part} {ms:.1f} ms" for part, ms in cpu.items())
          + f"; {os.cpu_count()} cores carry at most {1000 * os.cpu_count() / sum(cpu.values()):.0f} registrations/s")


if __name__ == "__main__":
    main()
