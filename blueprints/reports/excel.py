"""Reports as Excel files (XlsxWriter), with Chinese headings whatever the user's language."""
from __future__ import annotations

import io

import xlsxwriter
from flask_babel import force_locale


def workbook(title: str, subtitle: str, sheets: list) -> bytes:
    """One sheet per table: `sheets` is a list of blueprints.reports.tables.Table (built inside the
    caller's force_locale, so that their lazy headings come out in Chinese)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    heading = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    formats = {"number": book.add_format({"border": 1}), "percent": book.add_format({"border": 1, "num_format": "0.0%"}),
               "hours": book.add_format({"border": 1, "num_format": "0.0"})}
    total_formats = {k: book.add_format({"border": 1, "bold": True, "num_format": f.num_format})
                     for k, f in formats.items()}
    used = set()
    with force_locale("zh_CN"):
        for table in sheets:
            name = _sheet_name(str(table.title), used)
            sheet = book.add_worksheet(name)
            sheet.write(0, 0, f"{title} · {table.title}", heading)
            sheet.write(1, 0, subtitle)
            start = 3
            if table.note:
                sheet.write(2, 0, str(table.note))
            for col, header in enumerate(table.headers):
                sheet.write(start, col, str(header), bold)
            lines = list(table.rows) + ([table.total] if table.total else [])
            for r, row in enumerate(lines):
                is_total = table.total is not None and r == len(lines) - 1
                for c, value in enumerate(row):
                    kind = table.format_of(r, c) if not is_total else ("percent" if c in table.percent else "number")
                    fmt = (total_formats if is_total else formats)[kind]
                    if value is None:
                        sheet.write_blank(start + 1 + r, c, None, fmt)
                    elif isinstance(value, (int, float)) and not isinstance(value, bool):
                        sheet.write_number(start + 1 + r, c, value, fmt)
                    else:
                        sheet.write_string(start + 1 + r, c, str(value), fmt)
            sheet.set_column(0, 0, 34)
            sheet.set_column(1, max(1, len(table.headers) - 1), 13)
            sheet.freeze_panes(start + 1, 1)
    book.close()
    return out.getvalue()


def _sheet_name(title: str, used: set) -> str:
    """Excel's limits: 31 characters, none of []:*?/\\, unique."""
    name = "".join(ch for ch in title if ch not in "[]:*?/\\")[:28] or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in used:
        candidate, n = f"{name[:26]}{n}", n + 1
    used.add(candidate.lower())
    return candidate
