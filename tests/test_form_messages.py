"""WTForms' own messages (a date that is no date, a choice not offered) in the reader's language, its
catalogue read once per language and process, not in every request that shows one."""
import pytest
from babel import support


@pytest.mark.one_backend
def test_wtforms_messages_are_in_the_readers_language_and_its_catalogue_is_read_once(client_for, monkeypatch):
    loads = []
    load = support.Translations.load

    def counted(*args, **kwargs):
        loads.append((args, kwargs))
        return load(*args, **kwargs)
    monkeypatch.setattr(support.Translations, "load", counted)
    center = client_for("center1")
    for _ in range(3):
        response = center.get("/ledger/?date_from=2026-13-01")
        assert response.status_code == 400 and "不是有效的日期值" in response.text
    center.post("/language", data={"locale": "en"})
    assert "Not a valid date value" in center.get("/ledger/?date_from=2026-13-01").text
    wtforms_loads = [call for call in loads if "wtforms" in str(call)]
    assert len(wtforms_loads) <= 2   # once for Chinese and once for English, whatever the requests
