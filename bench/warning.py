"""The early warning of concentrated complaints and the similar-complaints lookup, measured.

    .venv/bin/python bench/warning.py --quality              # labelled set on SQLite, < 1 minute
    .venv/bin/python bench/warning.py --complaints 1000000   # lookup and check time on PostgreSQL
    .venv/bin/python bench/warning.py --repeat-rule --seeds 20   # the repeat rule's threshold, no database

--quality registers labelled sets (bench/wavedata.py: waves of differently worded complaints about
one outage, among unrelated ones, through 3 units and many channels) over 100 simulated minutes,
runs the worker's check every 10 minutes as the worker would, and scores the alerts: a complaint
in an alert is right when the alert is about its wave (the wave most of the alert's complaints
belong to). precision = right / in an alert, recall = right / in a wave. Its last line reads
`precision=P recall=R`.

--complaints N tops the benchmark database (BENCH_DATABASE_URL) up to N complaints (flask
bench-data), keeps the terms of those that have none, and times the similar-complaints lookup of a
complaint page and the warning check of one minute's tick with a wave under way.
"""
from __future__ import annotations

import argparse
import datetime
import logging
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DATABASE_URL, ROOT, machine  # noqa: E402
from wavedata import labelled_set  # noqa: E402

logging.getLogger("services.queue").setLevel(logging.ERROR)   # no Redis here on purpose: no delivery jobs
REGISTRARS = ["staff1", "staff2", "center1"]     # 城东支行, 城西支行, the service center
CHANNELS = ["counter", "phone", "hotline", "web", "email", "social_media"]


def quality(seeds: list[int]) -> None:
    from sqlalchemy import select

    from app import create_app
    from extensions import db
    from models import User, WaveAlertMember
    from services import waves
    from services.clock import FrozenClock
    from services.demo import seed_demo
    right = in_alert = in_wave = alerts = 0
    split = 0
    started = time.perf_counter()
    for seed in seeds:
        with tempfile.TemporaryDirectory() as folder:
            start = datetime.datetime(2026, 11, 24, 1, 0)
            clock = FrozenClock(start)
            app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/quality.sqlite3", "CLOCK": clock,
                              "REDIS_URL": "redis://127.0.0.1:1/0", "TESTING": True})
            with app.app_context():
                db.create_all()
                seed_demo()
                users = [db.session.scalar(select(User).where(User.username == name)) for name in REGISTRARS]
                items = labelled_set(seed=seed)

                def check():
                    waves.check()
                    db.session.commit()
                labels = {}
                step = 100 * 60 / len(items)
                from services.registration import Registration, register_complaint
                from models import Channel, Category
                other = db.session.scalar(select(Category.id).where(Category.code == "other"))
                rng = random.Random(seed)
                for index, item in enumerate(items):
                    clock.set(start + datetime.timedelta(seconds=index * step))
                    now = clock()
                    data = Registration(customer_name=f"客户{index}", customer_contact=f"1380000{index:04d}",
                                        channel=Channel(rng.choice(CHANNELS)),
                                        received_at=now - datetime.timedelta(minutes=3), content=item.content,
                                        demand=item.demand, object_text=item.object_text, category_id=other, level=3)
                    complaint, _created = register_complaint(rng.choice(users), f"s{seed}-{index}", data)
                    db.session.commit()
                    labels[complaint.id] = item.label
                    if index and int(index * step // 600) != int((index - 1) * step // 600):
                        check()
                check()
                members: dict[int, list[int]] = {}
                for member in db.session.scalars(select(WaveAlertMember)):
                    members.setdefault(member.alert_id, []).append(member.complaint_id)
                waves_alerted = Counter()
                for ids in members.values():
                    label, _count = Counter(labels[i] for i in ids).most_common(1)[0]
                    right += sum(1 for i in ids if label is not None and labels[i] == label)
                    in_alert += len(ids)
                    waves_alerted[label] += 1
                split += sum(n - 1 for n in waves_alerted.values())
                alerts += len(members)
                wave_sizes = Counter(label for label in labels.values() if label)
                in_wave += sum(wave_sizes.values())
                sizes = ", ".join(f"{label} {size}" for label, size in sorted(wave_sizes.items()))
                found = ", ".join(f"{Counter(labels[i] for i in ids).most_common(1)[0][0] or 'unrelated'} {len(ids)}"
                                  for ids in members.values())
                print(f"seed {seed}: {len(items)} complaints, {len(wave_sizes)} waves ({sizes}), "
                      f"{len(items) - sum(wave_sizes.values())} unrelated; {len(members)} alerts ({found})", flush=True)
                db.engine.dispose()
    print(f"# warning --quality · {datetime.date.today()} · {machine()} · {len(seeds)} sets · "
          f"{alerts} alerts, {split} waves alerted more than once · {time.perf_counter() - started:.1f} s")
    print(f"precision={right / max(1, in_alert):.3f} recall={right / max(1, in_wave):.3f}")


def scale(count: int, lookups: int) -> None:
    from common import ensure_database, keep_terms
    count = ensure_database(count)
    os.environ["DATABASE_URL"] = DATABASE_URL
    from sqlalchemy import func, select

    from app import create_app
    from extensions import db
    from models import Complaint, ComplaintTerms, User
    from services import clock, similarity, waves
    from services.registration import Registration, register_complaint
    from models import Channel, Category

    app = create_app({"REDIS_URL": "redis://127.0.0.1:1/0"})
    with app.app_context():
        keep_terms()
        center = db.session.scalar(select(User).where(User.username == "center1"))
        print(f"# warning · {datetime.date.today()} · {machine()} · {count} complaints · "
              f"{db.session.scalar(select(func.count()).select_from(ComplaintTerms))} with terms · "
              f"{db.engine.dialect.name}")
        # A wave under way: the labelled set registered over the last 100 minutes.
        users = list(db.session.scalars(select(User).where(User.username.in_(REGISTRARS))))
        other = db.session.scalar(select(Category.id).where(Category.code == "other"))
        rng = random.Random(1)
        now = clock.now()
        items = labelled_set(seed=int(time.time()))
        for index, item in enumerate(items):
            data = Registration(customer_name=f"客户{index}", customer_contact=f"1390000{index:04d}",
                                channel=Channel(rng.choice(CHANNELS)), received_at=now, content=item.content,
                                demand=item.demand, object_text=item.object_text, category_id=other, level=3)
            register_complaint(rng.choice(users), f"wave-{time.time()}-{index}", data)
        db.session.commit()
        started = time.perf_counter()
        raised = waves.check()
        db.session.commit()
        first = time.perf_counter() - started
        ticks = []
        for _ in range(10):   # the minutes after: the same waves, looked at again
            started = time.perf_counter()
            waves.check()
            db.session.commit()
            ticks.append(time.perf_counter() - started)
        window = db.session.scalar(select(func.count()).select_from(ComplaintTerms).where(
            ComplaintTerms.registered_at >= now - datetime.timedelta(hours=app.config["WAVE_WINDOW_HOURS"])))
        print(f"warning check: {window} complaints in the window; the tick raising {raised['waves_raised']} alerts "
              f"(and their e-mails) {first * 1000:.0f} ms; the next ticks median {statistics.median(ticks) * 1000:.0f} ms, "
              f"max {max(ticks) * 1000:.0f} ms")
        recent = list(db.session.scalars(select(ComplaintTerms.complaint_id).where(
            ComplaintTerms.registered_at >= now - datetime.timedelta(days=30)).order_by(func.random()).limit(lookups)))
        recent += [c for c in db.session.scalars(select(Complaint.id).order_by(Complaint.id.desc()).limit(20))]
        times, found = [], 0
        for complaint_id in recent:
            complaint = db.session.get(Complaint, complaint_id)
            started = time.perf_counter()
            found += len(similarity.similar_to(complaint, center))
            times.append(time.perf_counter() - started)
            db.session.expunge_all()
        times.sort()
        print(f"similar-complaints lookup ({len(times)} complaint pages, {found} similar cases listed): "
              f"median {statistics.median(times) * 1000:.1f} ms, p95 {times[int(len(times) * 0.95)] * 1000:.1f} ms, "
              f"max {times[-1] * 1000:.1f} ms (load average {os.getloadavg()[0]:.1f})")


def repeat_rule(seeds: list[int]) -> None:
    """Which threshold the repeat rule can use: on the labelled sets (no database, the terms as
    registration keeps them), for each threshold, the share of wave complaints the rule makes major
    (3 customers counted with it: the same object or scoring the threshold or more with it, one
    category as in the sets) and the unrelated complaints it makes major or counts in a wave."""
    from services import textsim
    sets = [labelled_set(seed=seed) for seed in seeds]
    terms = [[textsim.terms(item.content, item.object_text) for item in items] for items in sets]
    unrelated_max = max(textsim.score(found[a], found[b]) for items, found in zip(sets, terms)
                        for a in range(len(items)) for b in range(a + 1, len(items))
                        if items[a].label is None or items[a].label != items[b].label)
    print(f"# warning --repeat-rule · {datetime.date.today()} · {len(seeds)} sets · "
          f"the highest score of two unrelated complaints {unrelated_max:.3f}")
    for threshold in (0.3, 0.35, 0.4, 0.45, 0.5):
        made = in_waves = wrong_major = wrong_counted = 0
        for items, found in zip(sets, terms):
            major = [False] * len(items)
            for a, item in enumerate(items):
                counted = [b for b, other in enumerate(items) if b == a or other.object_text == item.object_text
                           or textsim.score(found[a], found[b]) >= threshold]
                if len(counted) >= 3:
                    for b in counted:
                        major[b] = True
                    wrong_counted += sum(1 for b in counted if item.label is None or items[b].label != item.label)
            in_waves += sum(1 for item in items if item.label)
            made += sum(1 for item, flag in zip(items, major) if item.label and flag)
            wrong_major += sum(1 for item, flag in zip(items, major) if not item.label and flag)
        print(f"threshold {threshold:.2f}: wave complaints made major {made / in_waves:.3f}, "
              f"unrelated made major {wrong_major}, unrelated counted with others {wrong_counted}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quality", action="store_true", help="precision and recall on the labelled sets (SQLite)")
    parser.add_argument("--seeds", type=int, default=5, help="labelled sets for --quality")
    parser.add_argument("--complaints", type=int, default=None, help="time the lookup at this many complaints")
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--repeat-rule", action="store_true",
                        help="what each threshold of the repeat rule does on the labelled sets (no database)")
    args = parser.parse_args()
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if args.repeat_rule:
        repeat_rule(list(range(18, 18 + args.seeds)))
        return
    if args.quality or args.complaints is None:
        quality(list(range(18, 18 + args.seeds)))
    if args.complaints:
        scale(args.complaints, args.lookups)


if __name__ == "__main__":
    main()
