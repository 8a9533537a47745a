"""A survey round's summary (用户意见调查汇总表) as an Excel file: the counts and each item's scores,
then every answer with its comment. Chinese headings whatever the user's language, as the printed
form; cell text is never a formula or a link, whatever a customer wrote."""
from __future__ import annotations

import io

import xlsxwriter
from flask_babel import force_locale

from extensions import gettext as _
from models import SurveyItem, SurveyRound
from models.survey import SCORES
from services import clock, identity
from services.labels import SURVEY_ITEM_LABELS, SURVEY_SCORE_LABELS
from services.surveys import summary


def workbook(survey: SurveyRound) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    heading = book.add_format({"bold": True, "font_size": 14})
    bold = book.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True, "valign": "top"})
    cell = book.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    average = book.add_format({"border": 1, "num_format": "0.00"})
    figures = summary(survey)
    with force_locale("zh_CN"):
        sheet = book.add_worksheet(_("Survey summary"))
        sheet.write_string(0, 0, survey.title, heading)
        sheet.write_string(1, 0, _("Period %(start)s to %(end)s", start=survey.period_start.isoformat(),
                                   end=survey.period_end.isoformat()))
        rate = f"{figures.rate}%" if figures.rate is not None else "—"
        sheet.write_string(2, 0, _("Sent: %(sent)d, returned: %(returned)d, response rate: %(rate)s",
                                   sent=figures.sent, returned=figures.returned, rate=rate))
        headers = [_("Item"), _("Average (1–5)"), _("Scores given")] + [str(SURVEY_SCORE_LABELS[s]) for s in SCORES]
        for col, header in enumerate(headers):
            sheet.write_string(4, col, str(header), bold)
        for row, item in enumerate(figures.items, start=5):
            sheet.write_string(row, 0, str(SURVEY_ITEM_LABELS[item.item]), cell)
            if item.average is None:
                sheet.write_blank(row, 1, None, cell)
            else:
                sheet.write_number(row, 1, item.average, average)
            sheet.write_number(row, 2, item.answers, cell)
            for col, score in enumerate(SCORES, start=3):
                sheet.write_number(row, col, item.distribution[score], cell)
        sheet.set_column(0, 0, 24)
        sheet.set_column(1, len(headers) - 1, 12)

        answers = book.add_worksheet(_("Each answer"))
        headers = [_("Customer's name"), _("Sent to"), _("Answered at")] + [str(SURVEY_ITEM_LABELS[i]) for i in SurveyItem] \
            + [_("Comments")]
        for col, header in enumerate(headers):
            answers.write_string(0, col, str(header), bold)
        done = [r for r in survey.recipients if r.answered_at is not None]
        for row, recipient in enumerate(done, start=1):
            answered = clock.to_local(recipient.answered_at).strftime("%Y-%m-%d %H:%M")
            values = [recipient.name, identity.mask_contact(recipient.email or recipient.mobile), answered]
            for col, value in enumerate(values):
                answers.write_string(row, col, value, cell)
            for col, item in enumerate(SurveyItem, start=3):
                score = (recipient.scores or {}).get(item.value)
                if score is None:
                    answers.write_blank(row, col, None, cell)
                else:
                    answers.write_number(row, col, score, cell)
            answers.write_string(row, len(headers) - 1, recipient.comment or "", cell)
        answers.set_column(0, 2, 18)
        answers.set_column(3, len(headers) - 2, 10)
        answers.set_column(len(headers) - 1, len(headers) - 1, 60)
        answers.freeze_panes(1, 1)
    book.close()
    return out.getvalue()
