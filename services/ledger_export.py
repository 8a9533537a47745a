"""Exports of a filtered ledger: Excel (XlsxWriter) or CSV (UTF-8 with a BOM, so Excel reads the
Chinese), with Chinese headers and times in APP_TIMEZONE. Small ones are written in the request;
large ones by an RQ job into LEDGER_EXPORT_DIR (outside static/), handed only to the user who asked,
and gone after LEDGER_EXPORT_TTL."""
from __future__ import annotations

import csv
import io
import re
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Optional

import xlsxwriter
from flask import current_app
from flask_babel import force_locale
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select

from extensions import db, lazy_gettext as _l
from models import Unit, User
from services import clock, custom_fields, ledger, org_settings
from services.identity import mask_contact, masked_numbers
from services.labels import CHANNEL_LABELS, KIND_LABELS, NATURE_LABELS, SEVERITY_LABELS, STATE_LABELS
from services.queue import queue, redis_connection

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "csv": "text/csv; charset=utf-8"}
JOB_ID = re.compile(r"[0-9a-f]{32}")


def _local(moment: Optional[datetime]) -> Optional[datetime]:
    return clock.to_local(moment).replace(tzinfo=None) if moment else None


def _unit(units: dict, unit_id: Optional[int]) -> str:
    return units[unit_id].name if unit_id in units else ""


# (header, width in characters, value of a complaint given the units and now); written in Chinese.
COLUMNS: list[tuple] = [
    (_l("Complaint number"), 18, lambda c, x: c.number),
    (_l("Received at"), 17, lambda c, x: _local(c.received_at)),
    (_l("Registered at"), 17, lambda c, x: _local(c.registered_at)),
    (_l("Customer"), 12, lambda c, x: c.customer_name),
    # Personal numbers masked, as in every list: whole only on the complaint page, where the view is audited.
    (_l("Contact"), 16, lambda c, x: mask_contact(c.customer_contact)),
    (_l("Customer numbers"), 24, lambda c, x: masked_numbers(c)),
    (_l("Channel"), 12, lambda c, x: str(CHANNEL_LABELS[c.channel])),
    (_l("Category"), 14, lambda c, x: c.category.name),
    (_l("Kind"), 10, lambda c, x: str(KIND_LABELS[c.kind])),
    (_l("Severity"), 8, lambda c, x: str(SEVERITY_LABELS["major" if c.is_major else "general"])),
    (_l("Level"), 6, lambda c, x: c.level),
    (_l("State"), 14, lambda c, x: str(STATE_LABELS[c.state])),
    (_l("Unit"), 14, lambda c, x: _unit(x["units"], c.unit_id)),
    (_l("Handling department"), 14, lambda c, x: _unit(x["units"], c.handling_unit_id)),
    (_l("First-responsible owner"), 10, lambda c, x: c.owner.name),
    (_l("What happened"), 40, lambda c, x: c.content),
    (_l("What the customer asks for"), 30, lambda c, x: c.demand),
    (_l("Complained about"), 20, lambda c, x: c.object_text),
    (_l("Next deadline"), 17, lambda c, x: _local(c.next_due_at)),
    (_l("Overdue"), 6, lambda c, x: str(_l("Yes")) if c.next_due_at and c.next_due_at < x["now"] else ""),
    (_l("Satisfaction"), 6, lambda c, x: c.satisfaction.value if c.satisfaction else ""),
    (_l("Closed at"), 17, lambda c, x: _local(c.closed_at)),
]
# Where the organisation keeps suggestions, after the number: complaint (投诉) or suggestion (建议).
NATURE_COLUMN = (_l("Complaint or suggestion"), 8, lambda c, x: str(NATURE_LABELS[c.nature]))


def _columns(filters: ledger.Filters) -> list[tuple]:
    """COLUMNS, then the organisation's own fields of the category filtered to (services.custom_fields),
    numbers and amounts as numbers, dates as dates."""
    extra = [(f.label_zh, 14, lambda c, x, f=f: custom_fields.excel_value(f, (c.extra or {}).get(f.key)))
             for f in custom_fields.columns_for(filters.category_id)]
    common = COLUMNS[:1] + [NATURE_COLUMN] + COLUMNS[1:] if org_settings.keeps("suggestions") else COLUMNS
    return common + extra


class _Xlsx:
    def __init__(self, target, in_memory: bool, columns: list):
        # Cell text is never a formula or a link, whatever a customer wrote.
        self.book = xlsxwriter.Workbook(target, {
            "in_memory": in_memory, "constant_memory": not in_memory, "strings_to_formulas": False,
            "strings_to_urls": False, "default_date_format": "yyyy-mm-dd hh:mm"})
        self.sheet = self.book.add_worksheet(str(_l("Complaint ledger")))
        bold = self.book.add_format({"bold": True, "bg_color": "#EEEEEE", "border": 1})
        self.columns = columns
        for index, (header, width, _) in enumerate(columns):
            self.sheet.set_column(index, index, width)
            self.sheet.write_string(0, index, str(header), bold)
        self.sheet.freeze_panes(1, 0)
        self.row_number = 0

    def row(self, values: list) -> None:
        self.row_number += 1
        self.sheet.write_row(self.row_number, 0, values)

    def close(self) -> None:
        self.sheet.autofilter(0, 0, max(self.row_number, 1), len(self.columns) - 1)
        self.book.close()


class _Csv:
    FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

    def __init__(self, stream, columns: list):
        self.stream = stream
        self.writer = csv.writer(stream)
        self.writer.writerow([str(header) for header, _, _ in columns])

    def row(self, values: list) -> None:
        self.writer.writerow([self._cell(v) for v in values])

    def _cell(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        text = str(value)
        # A leading apostrophe keeps a spreadsheet from running a cell as a formula (CSV injection).
        return "'" + text if text.startswith(self.FORMULA_START) else text

    def close(self) -> None:
        self.stream.flush()


def write(fmt: str, target, user: User, filters: ledger.Filters, in_memory: bool = True,
          progress: Callable[[int], None] | None = None) -> int:
    """Write the ledger as `user` sees it through `filters` to `target` (a path, or a binary stream
    when in memory); returns the number of complaints written."""
    units = {unit.id: unit for unit in db.session.scalars(select(Unit))}
    written = 0
    columns = _columns(filters)
    with force_locale("zh_CN"):
        text_stream = None
        if fmt == "xlsx":
            sheet = _Xlsx(target, in_memory, columns)
        else:
            text_stream = (io.TextIOWrapper(target, encoding="utf-8-sig", newline="") if in_memory
                           else open(target, "w", encoding="utf-8-sig", newline=""))
            sheet = _Csv(text_stream, columns)
        context = {"units": units, "now": clock.now()}
        for batch in ledger.batches(user, filters, release=not in_memory):
            for complaint in batch:
                sheet.row([value(complaint, context) for _, _, value in columns])
            written += len(batch)
            if progress:
                progress(written)
        sheet.close()
        if text_stream is not None:
            if in_memory:
                text_stream.detach()   # leave the caller's stream open
            else:
                text_stream.close()
    return written


def download_name(fmt: str) -> str:
    return f"投诉台账-{clock.to_local(clock.now()):%Y%m%d-%H%M}.{fmt}"


def export_now(fmt: str, user: User, filters: ledger.Filters) -> io.BytesIO:
    """A small export, in memory, for the request to send at once."""
    buffer = io.BytesIO()
    write(fmt, buffer, user, filters)
    buffer.seek(0)
    return buffer


def export_dir() -> Path:
    path = Path(current_app.config.get("LEDGER_EXPORT_DIR") or Path(current_app.instance_path) / "exports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _ttl_seconds() -> int:
    return int(current_app.config["LEDGER_EXPORT_TTL"].total_seconds())


def purge_expired() -> int:
    """Delete export files older than the TTL (their jobs have left Redis by then too)."""
    oldest = time.time() - _ttl_seconds()
    removed = 0
    for path in export_dir().iterdir():
        if path.stat().st_mtime < oldest:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def start(fmt: str, user: User, filters: ledger.Filters, total: int) -> str:
    """Queue a large export; returns its job id. Raises RedisError/OSError when Redis is down."""
    purge_expired()
    job_id = uuid.uuid4().hex
    queue().enqueue("services.ledger_export.run", user.id, filters.to_json(), fmt, job_id=job_id,
                    result_ttl=_ttl_seconds(), failure_ttl=_ttl_seconds(), job_timeout=3600,
                    meta={"user_id": user.id, "fmt": fmt, "total": total, "done": 0,
                          "filename": download_name(fmt)})
    return job_id


def run(user_id: int, filters: dict, fmt: str) -> dict:
    """The RQ job (in the app context its worker gives it): write the file under a temporary name,
    then rename it, so a half-written file is never handed out; progress goes to the job's meta for
    the page to poll."""
    job = get_current_job()
    user = db.session.get(User, user_id)
    chosen = ledger.Filters.from_json(filters)
    job.meta["total"] = ledger.count(user, chosen)
    job.save_meta()
    path = export_dir() / f"{job.id}.{fmt}"
    partial = path.with_name(path.name + ".part")

    def progress(done: int) -> None:
        job.meta["done"] = done
        job.save_meta()
    written = write(fmt, str(partial), user, chosen, in_memory=False, progress=progress)
    partial.replace(path)
    job.meta.update(done=written, finished_at=clock.now().isoformat())
    job.save_meta()
    return {"rows": written}


@dataclass
class ExportStatus:
    job_id: str
    state: str          # "running", "done" or "failed"
    done: int
    total: int
    filename: str

    @property
    def percent(self) -> int:
        return 100 if self.state == "done" else int(100 * self.done / self.total) if self.total else 0


def _job_of(job_id: str, user: User) -> Optional[Job]:
    """The export job, only for the user who asked for it."""
    if not JOB_ID.fullmatch(job_id or ""):
        return None
    try:
        job = Job.fetch(job_id, connection=redis_connection())
    except NoSuchJobError:
        return None
    return job if job.meta.get("user_id") == user.id else None


def status(job_id: str, user: User) -> Optional[ExportStatus]:
    job = _job_of(job_id, user)
    if job is None:
        return None
    if job.meta.get("finished_at"):
        state = "done"
    elif job.is_failed or job.is_stopped or job.is_canceled:
        state = "failed"
    else:
        state = "running"
    return ExportStatus(job_id, state, job.meta.get("done", 0), job.meta.get("total", 0), job.meta["filename"])


def finished_file(job_id: str, user: User) -> Optional[tuple[Path, str]]:
    """The finished file and its download name, while it has not expired; an expired one is deleted."""
    job = _job_of(job_id, user)
    if job is None or not job.meta.get("finished_at"):
        return None
    path = export_dir() / f"{job.id}.{job.meta['fmt']}"
    finished = datetime.fromisoformat(job.meta["finished_at"])
    if clock.now() - finished > current_app.config["LEDGER_EXPORT_TTL"]:
        path.unlink(missing_ok=True)
        return None
    return (path, job.meta["filename"]) if path.exists() else None

