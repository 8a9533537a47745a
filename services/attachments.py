"""Storing and reading evidence files. store() is the one way in, for staff on the complaint page
and for any later channel (the public web form): size and type are checked on the bytes, the
configured scanner runs, the file gets a random name outside static/, the timeline records it."""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import filetype
from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.utils import import_string

from extensions import db
from extensions import gettext as _
from models import Attachment, Complaint, User
from services import clock
from services.errors import Refused
from services.timeline import log_event

# What evidence may be: photos, PDFs, recordings. The type is read from the file's first bytes.
ALLOWED_TYPES = {
    "image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf",
    "audio/mpeg": "mp3", "audio/mp4": "m4a", "audio/x-wav": "wav", "audio/amr": "amr",
}
_SNIFF_BYTES = 8192


def no_scan(data: bytes, filename: str) -> None:
    """The default scanner: accepts everything. Configure ATTACHMENT_SCANNER to call a real one."""


def _scanner():
    path = current_app.config.get("ATTACHMENT_SCANNER")
    return import_string(path) if path else no_scan


def detect_type(head: bytes) -> Optional[str]:
    kind = filetype.guess(head)
    return kind.mime if kind is not None and kind.mime in ALLOWED_TYPES else None


def storage_dir() -> Path:
    path = Path(current_app.config["ATTACHMENTS_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Checked:
    """A file that passed the checks, read into memory, ready to be kept."""
    data: bytes
    content_type: str
    original_name: str


def check(file: FileStorage) -> Checked:
    """Size, type and scanner checks, without storing anything (the public form checks every file
    before the complaint exists). Raises Refused with the reason."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    data = file.stream.read(limit + 1)
    if not data:
        raise Refused(_("The file is empty."))
    if len(data) > limit:
        raise Refused(_("The file is larger than %(size)s.", size=_human_size(limit)))
    content_type = detect_type(data[:_SNIFF_BYTES])
    if content_type is None:
        raise Refused(_("Only photos (JPEG, PNG), PDF documents and recordings (MP3, M4A, WAV, AMR) can be attached; "
                         "this file is none of them."))
    original_name = _clean_name(file.filename or "", ALLOWED_TYPES[content_type])
    _scanner()(data, original_name)
    return Checked(data, content_type, original_name)


def store(complaint: Complaint, file: FileStorage, uploader: Optional[User]) -> Attachment:
    """Check, scan and keep `file` as evidence on `complaint`, in the caller's transaction (the
    caller commits). `uploader` None means the customer. Raises Refused with the reason."""
    return keep(complaint, check(file), uploader)


def keep(complaint: Complaint, checked: Checked, uploader: Optional[User]) -> Attachment:
    """Write a checked file under a random name and record it, in the caller's transaction."""
    data = checked.data
    stored_name = secrets.token_hex(16)
    target = storage_dir() / stored_name
    partial = target.with_suffix(".part")
    with open(partial, "xb") as out:
        out.write(data)
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    attachment = Attachment(complaint_id=complaint.id, stored_name=stored_name, original_name=checked.original_name,
                            content_type=checked.content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest(), uploaded_by=uploader, uploaded_at=clock.now())
    db.session.add(attachment)
    log_event(complaint, uploader, "attachment_added", f"{checked.original_name} ({_human_size(len(data))})")
    return attachment


def discard(kept: list[Attachment]) -> None:
    """Remove the files of attachments whose transaction was rolled back (no orphan files)."""
    for attachment in kept:
        path_of(attachment).unlink(missing_ok=True)


def path_of(attachment: Attachment) -> Path:
    return Path(current_app.config["ATTACHMENTS_DIR"]) / attachment.stored_name


def record_download(complaint: Complaint, attachment: Attachment, user: User) -> None:
    log_event(complaint, user, "attachment_downloaded", attachment.original_name)


def _clean_name(name: str, extension: str) -> str:
    """The name as the user knew it, without any path, control characters or a misleading extension."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or "evidence"
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem[:200]}.{extension}"


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"
