from flask import abort, g, redirect, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.attachments import bp
from blueprints.attachments.forms import UploadForm
from blueprints.ui import known_empty, visible_complaint_or_404
from extensions import db
from models import Attachment
from services import attachments, policy
from services.errors import Refused


@bp.app_template_global()
def attachments_of(complaint) -> list[Attachment]:
    if known_empty(complaint, "attachments"):
        return []
    return list(db.session.scalars(select(Attachment).where(Attachment.complaint_id == complaint.id)
                                   .order_by(Attachment.id).limit(200)))


@bp.app_template_global()
def attachment_form() -> UploadForm:
    """The upload form of the complaint page: the one just refused, with its message, or an empty one."""
    return g.get("attachment_form") or UploadForm(formdata=None)


@bp.post("/complaint/<int:complaint_id>")
@login_required
def upload(complaint_id: int):
    """Add evidence to the complaint; a refused file re-renders the complaint page with the reason (422)."""
    from blueprints.complaints.routes import _render   # the complaint page, rendered one way everywhere
    complaint = visible_complaint_or_404(complaint_id)
    if not policy.can_attach(current_user, complaint):
        abort(403)
    form = UploadForm()
    if form.validate():
        try:
            attachments.store(complaint, form.file.data, current_user)
            db.session.commit()
            return redirect(url_for("complaints.show", complaint_id=complaint.id, _anchor="attachments"), 303)
        except Refused as refusal:
            db.session.rollback()
            form.file.errors = [str(refusal)]
    g.attachment_form = form
    return _render(complaint, 422)


@bp.get("/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    """The file, only for those who may see its complaint; always as a download, never rendered."""
    attachment = db.session.get(Attachment, attachment_id) or abort(404)
    complaint = visible_complaint_or_404(attachment.complaint_id)
    path = attachments.path_of(attachment)
    if not path.is_file():
        abort(404)
    attachments.record_download(complaint, attachment, current_user)
    db.session.commit()
    response = send_file(path, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, max_age=0, etag=False, conditional=False)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
