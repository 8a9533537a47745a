"""services.sql.insert_together: new rows of several tables, and an update, in one statement on
PostgreSQL (a statement per table on SQLite); every object is then the session's own, with the id of
its own row, and a pending one is not written again by the next flush."""
from sqlalchemy import bindparam, delete, func, select, update

from extensions import db
from models import Complaint, ComplaintEvent, ComplaintTerms
from services import clock, sql
from tests.helpers import executed, register, user


def test_rows_of_several_tables_and_an_update_go_in_together_each_object_as_its_row(app, client_for):
    complaint = register(client_for("staff1"))
    staff = user("staff1")
    db.session.execute(delete(ComplaintTerms).where(ComplaintTerms.complaint_id == complaint.id))
    before = db.session.scalar(select(func.count()).select_from(ComplaintEvent))
    pending = ComplaintEvent(complaint_id=complaint.id, at=clock.now(), actor_id=staff.id, action="first")
    db.session.add(pending)   # as log_event leaves it
    entries = [pending, *(ComplaintEvent(complaint_id=complaint.id, at=clock.now(), actor_id=None, action=action)
                          for action in ("second", "third"))]
    terms = ComplaintTerms(complaint_id=complaint.id, registered_at=complaint.registered_at, terms=frozenset({"吞卡"}))
    table = Complaint.__table__
    renamed = (update(table).where(table.c.id == bindparam("renamed_id")).values(customer_ref=bindparam("ref")),
               {"renamed_id": complaint.id, "ref": "REF-1"})
    with executed() as runs:
        sql.insert_together([*entries, terms], also=(renamed,))
        db.session.flush()   # nothing left to write: the pending entry went in above
    # (SQLite: the update, each entry apart (its driver gives ids back in order one row at a time), the terms.)
    assert len(runs) == (1 if db.engine.dialect.name == "postgresql" else 5)
    given = {entry.id: entry.action for entry in entries}
    db.session.commit()
    stored = dict(db.session.execute(select(ComplaintEvent.id, ComplaintEvent.action)
                                     .where(ComplaintEvent.id.in_(list(given)))).all())
    assert stored == given and len(given) == 3   # each object holds the id of its own row
    assert db.session.scalar(select(func.count()).select_from(ComplaintEvent)) == before + 3
    assert db.session.get(ComplaintTerms, complaint.id).terms == frozenset({"吞卡"})
    assert db.session.get(Complaint, complaint.id).customer_ref == "REF-1"
