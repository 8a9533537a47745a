"""Evidence on a complaint: checked by its bytes, kept outside static/, served only to who may see it."""
import hashlib
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from models import Attachment, ComplaintEvent
from tests.helpers import dispatch, register

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(64)
AMR = b"#!AMR\n" + bytes(64)


@pytest.fixture
def storage(app, tmp_path) -> Path:
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "attachments")
    return tmp_path / "attachments"


def upload(client, complaint, data: bytes, name: str):
    return client.post(f"/attachments/complaint/{complaint.id}", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def events(complaint, action):
    return list(db.session.scalars(select(ComplaintEvent).where(
        ComplaintEvent.complaint_id == complaint.id, ComplaintEvent.action == action)))


def test_a_photo_is_attached_listed_and_downloaded_by_the_department(client_for, storage):
    staff = client_for("staff1")
    complaint = register(staff)
    response = upload(staff, complaint, PNG, "../../柜台照片.PNG")
    assert response.status_code == 303
    attachment = db.session.scalar(select(Attachment))
    assert attachment.original_name == "柜台照片.png" and attachment.content_type == "image/png"
    assert attachment.size == len(PNG) and attachment.sha256 == hashlib.sha256(PNG).hexdigest()
    stored = storage / attachment.stored_name
    assert stored.read_bytes() == PNG and "柜台照片" not in attachment.stored_name
    page = staff.get(f"/complaints/{complaint.id}").text
    assert "柜台照片.png" in page

    dispatch(staff, complaint)
    dept = client_for("dept1")
    response = dept.get(f"/attachments/{attachment.id}")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert [e.actor.username for e in events(complaint, "attachment_added")] == ["staff1"]
    assert [e.actor.username for e in events(complaint, "attachment_downloaded")] == ["dept1"]


@pytest.mark.one_backend
def test_other_units_and_roles_get_nothing(client_for, storage):
    staff = client_for("staff1")
    complaint = register(staff)
    upload(staff, complaint, PDF, "回单.pdf")
    attachment_id = db.session.scalar(select(Attachment.id))
    assert client_for("staff2").get(f"/attachments/{attachment_id}").status_code == 404
    assert client_for("dept1").get(f"/attachments/{attachment_id}").status_code == 404   # not routed to it
    assert upload(client_for("staff2"), complaint, PDF, "x.pdf").status_code == 404
    assert upload(client_for("admin"), complaint, PDF, "x.pdf").status_code == 404
    assert client_for("leader1").get(f"/attachments/{attachment_id}").status_code == 200


@pytest.mark.parametrize("data,name", [(b"MZ\x90\x00" + bytes(100), "photo.png"),
                                       (b"<html><script>alert(1)</script>", "evil.pdf"),
                                       (b"", "empty.jpg")])
@pytest.mark.one_backend
def test_files_that_are_not_evidence_are_refused_by_their_content(client_for, storage, data, name):
    staff = client_for("staff1")
    complaint = register(staff)
    response = upload(staff, complaint, data, name)
    assert response.status_code == 422
    assert 'class="error"' in response.text and re.search(r'class="field[^"]* has-error"', response.text)
    assert not storage.exists() or not any(storage.iterdir())      # nothing kept on disk
    assert db.session.scalar(select(Attachment)) is None


@pytest.mark.one_backend
def test_recordings_are_accepted(client_for, storage):
    staff = client_for("staff1")
    complaint = register(staff)
    assert upload(staff, complaint, WAV, "通话录音.wav").status_code == 303
    assert upload(staff, complaint, AMR, "voice").status_code == 303
    names = sorted(a.original_name for a in db.session.scalars(select(Attachment)))
    assert names == ["voice.amr", "通话录音.wav"]


@pytest.mark.one_backend
def test_size_limits_give_a_message_or_a_clear_413(app, client_for, storage):
    staff = client_for("staff1")
    complaint = register(staff)
    app.config["ATTACHMENT_MAX_BYTES"] = 1000
    too_big = PNG + bytes(2000)
    response = upload(staff, complaint, too_big, "big.png")
    assert response.status_code == 422
    assert "1000 B" in re.search(r'id="file-error"[^>]*>([^<]*)<', response.text).group(1)   # the field's message
    app.config["MAX_CONTENT_LENGTH"] = 1500
    response = upload(staff, complaint, too_big, "big.png")
    assert response.status_code == 413
    assert "1000 Bytes" in response.text or "1000 B" in response.text


def reject_everything(data, filename):
    from services.errors import Refused
    raise Refused("病毒扫描发现威胁：EICAR-Test")


@pytest.mark.one_backend
def test_a_rejecting_scanner_is_a_clear_422(app, client_for, storage):
    app.config["ATTACHMENT_SCANNER"] = "tests.test_attachments.reject_everything"
    staff = client_for("staff1")
    complaint = register(staff)
    response = upload(staff, complaint, PDF, "scan.pdf")
    assert response.status_code == 422 and "EICAR-Test" in response.text
    assert db.session.scalar(select(Attachment)) is None
