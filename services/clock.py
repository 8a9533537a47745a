"""The one source of "now". Stored times are naive UTC; the business time zone is for display
and for the working calendar. Tests put a FrozenClock into app.config["CLOCK"]."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def now() -> datetime:
    """The current time as naive UTC, from the app's clock when one is configured."""
    clock = current_app.config.get("CLOCK") if has_app_context() else None
    return clock() if clock else datetime.now(timezone.utc).replace(tzinfo=None)


def business_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["APP_TIMEZONE"])


def to_local(utc: datetime) -> datetime:
    return utc.replace(tzinfo=timezone.utc).astimezone(business_tz())


def from_local(local: datetime) -> datetime:
    """A wall-clock time in the business time zone (naive or aware) to naive UTC."""
    if local.tzinfo is None:
        local = local.replace(tzinfo=business_tz())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


class FrozenClock:
    """A controllable clock for tests: time moves only when told to."""

    def __init__(self, start: datetime):
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment


class FileClock:
    """A clock read from a file (an ISO time, naive UTC), so that tests can move the time of several
    processes at once. Used only when the APP_CLOCK_FILE environment variable names the file."""

    def __init__(self, path: str):
        self.path = path

    def __call__(self) -> datetime:
        with open(self.path) as file:
            return datetime.fromisoformat(file.read().strip())

    @staticmethod
    def write(path, moment: datetime) -> None:
        """Set the time of every process reading `path`. Whole or not at all (written aside, then
        renamed over the file): a worker that read a file still being written got no time at all,
        and the message it had just sent stayed marked as sending."""
        aside = f"{path}.{os.getpid()}"
        with open(aside, "w") as file:
            file.write(moment.isoformat())
        os.replace(aside, path)
