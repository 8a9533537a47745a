"""The range of values the product takes from anyone, in one place: the dates a filter, a report or
a form may name, the moments a complaint may be received at, the page numbers of a list. Outside
them the answer is a message (400/422), never an overflow deep in the date arithmetic or the
database (a year 1 or 9999 breaks the time-zone conversion, a page of 10**20 the OFFSET)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from services import clock

EARLIEST_DAY = date(2000, 1, 1)   # older than any complaint this bank will record
YEARS_AHEAD = 10                  # the furthest a due date or a report period may lie ahead
RECEIVED_SLACK = timedelta(minutes=5)   # a receipt time "now" typed on a clock running a little fast
MAX_PAGE = 10_000                 # deeper than anyone pages by hand; above it the request is refused (400)
MAX_ID = 2**31 - 1                # a database integer: a larger id names nothing


class OutOfBounds(ValueError):
    """A value outside the accepted range: `what` ("date" or "page"), the range and which side."""

    def __init__(self, earliest, latest, too_late: bool, what: str = "date"):
        super().__init__(f"{what} outside {earliest} .. {latest}")
        self.earliest, self.latest, self.too_late, self.what = earliest, latest, too_late, what


def today() -> date:
    return clock.to_local(clock.now()).date()


def latest_day() -> date:
    """Ten years after today (by the injected clock); 28 February for a 29th in a common year."""
    day = today()
    try:
        return day.replace(year=day.year + YEARS_AHEAD)
    except ValueError:
        return day.replace(year=day.year + YEARS_AHEAD, day=28)


def check_day(day: date) -> date:
    """A date a user may name (filters, reports, due dates): from 2000 to ten years ahead."""
    if not EARLIEST_DAY <= day <= latest_day():
        raise OutOfBounds(EARLIEST_DAY, latest_day(), day > EARLIEST_DAY)
    return day


def check_local_moment(moment: datetime) -> datetime:
    """A wall-clock time (business time zone, naive) a user may set a clock to: the same range as days."""
    check_day(moment.date())
    return moment


def check_received(moment: datetime) -> datetime:
    """When a complaint was received (local wall-clock time): not before 2000, not later than now plus
    a few minutes."""
    latest = clock.to_local(clock.now() + RECEIVED_SLACK).replace(tzinfo=None)
    if not datetime.combine(EARLIEST_DAY, datetime.min.time()) <= moment <= latest:
        raise OutOfBounds(EARLIEST_DAY, latest, moment > latest)
    return moment


def page_number(raw: str | None) -> int:
    """The `page` of a list's URL: missing or not a number is the first page (as before); below 1 is
    the first page; above MAX_PAGE is refused."""
    try:
        number = int(raw) if raw else 1
    except ValueError:
        return 1
    if number > MAX_PAGE:
        raise OutOfBounds(1, MAX_PAGE, True, what="page")
    return max(number, 1)


def database_id(raw: str | None) -> int | None:
    """An id from a query string (?unit=3): None when missing, not a number or beyond a database integer."""
    try:
        number = int(raw) if raw else None
    except ValueError:
        return None
    return number if number is not None and 0 < number <= MAX_ID else None
