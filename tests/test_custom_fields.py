"""Fields an organisation defines: from the administrator's page through the registration form, the
case page, the ledger's filter, the Excel export and the printed form."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from extensions import db
from models import AdminAuditEntry, Complaint, ComplaintEvent
from models import CustomField
from services import custom_fields
from tests.conftest import complaint_form
from tests.helpers import category_id, executed


@pytest.fixture
def order_fields(app):
    """The manufacturer's order data, for one category, and a region asked of every complaint."""
    product = category_id("product_quality")
    custom_fields.define("delivery_date", "交货日期", "Delivery date", "date", required=True, categories=[product])
    custom_fields.define("amount", "交货金额", "Amount delivered", "money", categories=["product_quality"])
    custom_fields.define("defects", "不良数量", "Defective units", "number", categories=[product])
    custom_fields.define("region", "区域", "Region", "choice", choices=["华东", "华南"])
    db.session.commit()
    return product


def _form(product, **changes):
    data = complaint_form(category=str(product), x_delivery_date="2026-11-20", x_amount="12,800.5",
                          x_defects="3", x_region="华南")
    data.update(changes)
    return data


def _register(client, product, **changes) -> Complaint:
    response = client.post("/intake/new", data=_form(product, **changes))
    assert response.status_code == 303, response.text
    db.session.expire_all()
    return db.session.get(Complaint, int(response.location.rsplit("/", 1)[1]))


def test_defining_is_idempotent_by_key_and_audited(app, order_fields):
    again = custom_fields.define("region", "区域", "Region", "choice", choices=["华东", "华南", "华北"])
    db.session.commit()
    assert again.choices == ["华东", "华南", "华北"]
    assert len(custom_fields.all_fields()) == 4
    actions = db.session.scalars(select(AdminAuditEntry.action)).all()
    assert actions.count("custom_field_defined") == 4 and actions.count("custom_field_changed") == 1
    with pytest.raises(custom_fields.BadDefinition):
        custom_fields.define("Bad Key", "坏", "Bad", "text")
    with pytest.raises(custom_fields.BadDefinition):
        custom_fields.define("kind", "类", "Kind", "choice", choices=[])


def test_the_fields_of_the_chosen_category_round_trip_through_form_and_case_page(client_for, order_fields):
    client = client_for("staff1")
    # HTMX asks for the fields of the category once it is chosen: the product's order data and the region.
    fragment = client.get(f"/intake/new/fields?category={order_fields}&x_amount=99").text
    assert 'name="x_delivery_date"' in fragment and 'name="x_region"' in fragment and 'value="99"' in fragment
    other = client.get(f"/intake/new/fields?category={category_id('waiting')}").text
    assert 'name="x_region"' in other and 'name="x_delivery_date"' not in other
    complaint = _register(client, order_fields)
    assert complaint.extra == {"delivery_date": "2026-11-20", "amount": "12800.50", "defects": "3", "region": "华南"}
    page = client.get(f"/complaints/{complaint.id}").text
    assert "交货日期" in page and "2026-11-20" in page and "12800.50" in page and "华南" in page
    registered = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id,
                                                                ComplaintEvent.action == "registered"))
    assert registered is not None


@pytest.mark.one_backend
def test_without_script_every_field_shows_but_only_the_chosen_categorys_are_checked(client_for, order_fields):
    client = client_for("staff1")
    page = client.get("/intake/new").text
    assert "<noscript>" in page and 'name="x_delivery_date"' in page and 'name="x_region"' in page
    assert '交货日期 <span class="meta">产品质量</span>' in page   # each says which category asks for it
    # Registered under "waiting": the product's fields are neither checked nor stored.
    complaint = _register(client, category_id("waiting"), x_delivery_date="garbage", x_amount="-1")
    assert complaint.extra == {"region": "华南"}


@pytest.mark.one_backend
def test_bad_values_give_422_with_messages_and_everything_typed_kept(client_for, order_fields):
    client = client_for("staff1")
    response = client.post("/intake/new", data=_form(order_fields, x_delivery_date="1999-02-30",
                                                     x_amount="12.345", x_defects="1e400", x_region="火星"))
    assert response.status_code == 422
    text = response.text
    assert 'value="1999-02-30"' in text and 'value="12.345"' in text and 'value="1e400"' in text
    assert "请按 YYYY-MM-DD" in text or "YYYY-MM-DD" in text
    assert text.count('aria-invalid="true"') >= 4
    response = client.post("/intake/new", data=_form(order_fields, x_delivery_date="", customer_name=""))
    assert response.status_code == 422 and 'id="x_delivery_date-error"' in response.text
    assert db.session.scalar(select(Complaint.id)) is None


def test_the_ledger_filters_on_a_field_and_shows_it_in_columns_export_and_print(client_for, order_fields):
    staff = client_for("staff1")
    south = _register(staff, order_fields)
    east = _register(staff, order_fields, x_region="华东")
    center = client_for("center1")
    listed = center.get("/ledger/?f_region=%E5%8D%8E%E5%8D%97").text
    assert south.number in listed and east.number not in listed
    assert center.get("/ledger/?f_region=nowhere").status_code == 400
    columns = center.get(f"/ledger/?category={order_fields}").text
    assert "交货金额" in columns and "12800.50" in columns
    response = center.post(f"/ledger/export?category={order_fields}", data={"fmt": "xlsx"})
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    header = rows[0]
    assert "交货金额" in header and "区域" in header
    south_row = dict(zip(header, next(r for r in rows if r[0] == south.number)))
    assert south_row["交货金额"] == 12800.5 and south_row["区域"] == "华南"
    printed = center.get(f"/ledger/{south.id}/print").text
    assert "交货日期" in printed and "2026-11-20" in printed


def test_the_ledger_filter_uses_the_gin_index_on_postgresql(app, client_for, order_fields):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the GIN index is PostgreSQL's")
    _register(client_for("staff1"), order_fields)
    # The ledger's filter is the containment test the index serves ...
    with executed() as runs:
        assert client_for("center1").get("/ledger/?f_region=%E5%8D%8E%E5%8D%97").status_code == 200
    assert any("complaint.extra @>" in run.statement for run in runs)
    # ... and PostgreSQL answers it from ix_complaint_extra_gin.
    db.session.execute(db.text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(db.text(
        """EXPLAIN SELECT id FROM complaint WHERE extra @> '{"region": "华南"}'""")))
    assert "ix_complaint_extra_gin" in plan
    db.session.rollback()


def test_a_retired_field_leaves_the_form_but_stays_on_old_complaints(client_for, order_fields):
    client = client_for("staff1")
    complaint = _register(client, order_fields)
    region = db.session.scalar(select(CustomField).where(CustomField.key == "region"))
    custom_fields.set_active(region, False)
    db.session.commit()
    assert 'name="x_region"' not in client.get(f"/intake/new/fields?category={order_fields}").text
    assert "华南" in client.get(f"/complaints/{complaint.id}").text


@pytest.mark.one_backend
def test_the_administrator_defines_changes_and_retires_a_field_on_the_page(client_for):
    admin = client_for("admin")
    assert "补充字段" in admin.get("/admin/").text or "/admin/fields" in admin.get("/admin/").text
    bad = admin.post("/admin/fields", data={"key": "Order Date", "label_zh": "订货日期", "label_en": "",
                                            "type": "choice", "choices": ""})
    assert bad.status_code == 422 and 'value="Order Date"' in bad.text and 'value="订货日期"' in bad.text
    listed_before = admin.get("/admin/fields").text
    assert "尚无补充字段" in listed_before
    saved = admin.post("/admin/fields", data={"key": "project", "label_zh": "项目", "label_en": "Project",
                                              "type": "choice", "choices": "滨江花园\n城南一号\n",
                                              "required": "y", "categories": [str(category_id("fees"))]})
    assert saved.status_code == 303
    field = db.session.scalar(select(CustomField).where(CustomField.key == "project"))
    assert field.choices == ["滨江花园", "城南一号"] and field.required and field.category_ids == [category_id("fees")]
    listed = admin.get("/admin/fields").text
    assert "<code>project</code>" in listed and "滨江花园、城南一号" in listed and "收费问题" in listed
    editing = admin.get(f"/admin/fields?edit={field.id}").text
    assert 'value="项目"' in editing and "滨江花园\n城南一号" in editing
    assert admin.post(f"/admin/fields/{field.id}/active").status_code == 303
    db.session.expire_all()
    assert not db.session.get(CustomField, field.id).active
    actions = set(db.session.scalars(select(AdminAuditEntry.action)))
    assert {"custom_field_defined", "custom_field_retired"} <= actions
    assert client_for("staff1").get("/admin/fields").status_code == 403


@pytest.mark.one_backend
@pytest.mark.parametrize("value", ["\x00", "x" * 5000, "%FF", "火星"])
def test_a_bad_ledger_filter_on_a_field_is_a_400_never_a_500(client_for, order_fields, value):
    response = client_for("center1").get("/ledger/", query_string={"f_region": value})
    assert response.status_code == 400


def test_a_nul_in_a_text_field_or_its_filter_is_refused_not_a_server_error(client_for, order_fields):
    custom_fields.define("order_no", "订单号", "Order number", "text")
    db.session.commit()
    response = client_for("staff1").post("/intake/new", data=_form(order_fields, x_order_no="A\x00B"))
    assert response.status_code in (400, 422)   # the app refuses a NUL in any form before the field's check
    assert client_for("center1").get("/ledger/", query_string={"f_order_no": "A\x00B"}).status_code == 400


def test_a_change_of_the_values_lands_in_the_complaints_timeline(client_for, order_fields):
    from services import audit
    from services.timeline import log_event
    complaint = _register(client_for("staff1"), order_fields)
    audit.remember(complaint)
    custom_fields.set_values(complaint, {"region": "华东", "delivery_date": "2026-11-21"})
    log_event(complaint, None, "registration_corrected")
    db.session.commit()
    event = db.session.scalar(select(ComplaintEvent).where(ComplaintEvent.action == "registration_corrected"))
    before, after = event.changes["extra"]
    assert before["region"] == "华南" and after["region"] == "华东"
    assert "amount" not in after   # not given again: blanked, as a form would
    timeline = client_for("center1").get(f"/complaints/{complaint.id}").text
    assert "region: 华南" in timeline and "region: 华东" in timeline


def test_the_ledger_with_field_columns_runs_no_query_per_row(client_for, order_fields):
    from tests.test_query_counts import statements
    staff, center = client_for("staff1"), client_for("center1")
    url = f"/ledger/?category={order_fields}&f_region=%E5%8D%8E%E5%8D%97"
    for _ in range(2):
        _register(staff, order_fields)
    center.get(url)   # the process reads the units, categories and fields once (services.kept)
    few = statements(center, url)
    for _ in range(10):
        _register(staff, order_fields)
    assert statements(center, url) == few


@pytest.mark.one_backend
def test_the_csv_export_has_the_fields_of_every_complaint_when_unfiltered(client_for, order_fields):
    complaint = _register(client_for("staff1"), order_fields)
    response = client_for("center1").post("/ledger/export", data={"fmt": "csv"})
    lines = response.data.decode("utf-8-sig").splitlines()
    assert lines[0].endswith(",区域") and "交货金额" not in lines[0]   # only the fields asked of every complaint
    assert next(line for line in lines if line.startswith(complaint.number)).endswith(",华南")
