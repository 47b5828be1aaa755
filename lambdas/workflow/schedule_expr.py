"""EventBridge Scheduler's recurring schedule expressions: rate(value unit) and cron(6 fields), checked and evaluated.

Syntax as the EventBridge Scheduler User Guide, "Schedule types in EventBridge Scheduler", documents it: a rate is a
positive integer and one of minute | minutes | hour | hours | day | days (GetSchedule's ScheduleExpression, API
reference), singular for 1 and plural above (the rule EventBridge's "Rate expressions reference" states; Scheduler's
guide does not, and the stricter form is valid for both); a cron has six fields (minutes hours day-of-month month
day-of-week year), one of day-of-month and day-of-week must be "?", and the fields take , - * / (day-of-week 1-7 is
SUN-SAT, or SUN..SAT; month JAN..DEC).
A rate schedule without a StartDate starts invoking its target at once, then every period; all schedules invoke
their target with 60 second precision. The L, W and # wildcards and at() one-time schedules are refused here: a
retraining cadence does not need them, and the offline clock could not fire them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
CRON = re.compile(r"cron\((.*)\)")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (name, lowest, highest, names for lowest..)
FIELDS: tuple[tuple[str, int, int, list[str]], ...] = (
    ("minutes", 0, 59, []),
    ("hours", 0, 23, []),
    ("day-of-month", 1, 31, []),
    ("month", 1, 12, MONTHS),
    ("day-of-week", 1, 7, DAYS),
    ("year", 1970, 2199, []),
)
HELP = 'give "rate(<n> minutes|hours|days)" or "cron(minutes hours day-of-month month day-of-week year)"'


class ScheduleExpressionError(ValueError):
    """The expression is not a recurring EventBridge Scheduler expression this stack can use."""


@dataclass(frozen=True)
class Rate:
    seconds: int


@dataclass(frozen=True)
class Cron:
    fields: tuple[frozenset[int] | None, ...]  # None: "?" (day fields only)

    def matches(self, moment: datetime) -> bool:
        minutes, hours, days, months, weekdays, years = self.fields
        weekday = (moment.isoweekday() % 7) + 1  # SUN=1 .. SAT=7
        day_ok = (days is None or moment.day in days) and (weekdays is None or weekday in weekdays)
        return bool(
            minutes is not None
            and moment.minute in minutes
            and hours is not None
            and moment.hour in hours
            and months is not None
            and moment.month in months
            and years is not None
            and moment.year in years
            and day_ok
        )


def parse(expression: str) -> Rate | Cron:
    """The expression, or ScheduleExpressionError saying what is wrong and what to give."""
    rate = RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleExpressionError(f'"{expression}": the rate must be a positive integer; {HELP}')
        if (value == 1) != (not unit.endswith("s")):
            fix = f"{value} {unit.rstrip('s')}" + ("" if value == 1 else "s")
            raise ScheduleExpressionError(f'"{expression}": write "rate({fix})" (singular unit for 1 only)')
        return Rate(value * UNIT_SECONDS[unit.rstrip("s")])
    cron = CRON.fullmatch(expression)
    if cron is None:
        kind = "one-time at() schedules retrain once only" if expression.startswith("at(") else "not recognised"
        raise ScheduleExpressionError(f'"{expression}": {kind}; {HELP}')
    parts = cron.group(1).split()
    if len(parts) != len(FIELDS):
        raise ScheduleExpressionError(f'"{expression}": a cron has 6 fields, found {len(parts)}; {HELP}')
    fields = tuple(_field(expression, part, *spec) for part, spec in zip(parts, FIELDS, strict=True))
    if (fields[2] is None) == (fields[4] is None):
        raise ScheduleExpressionError(
            f'"{expression}": exactly one of day-of-month and day-of-week must be "?" (e.g. "cron(0 3 ? * SUN *)")'
        )
    return Cron(fields)


def _field(expression: str, text: str, name: str, low: int, high: int, names: list[str]) -> frozenset[int] | None:
    if text == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise ScheduleExpressionError(f'"{expression}": "?" is only valid in day-of-month or day-of-week')
        return None
    if any(c in text for c in "LW#"):
        raise ScheduleExpressionError(f'"{expression}": {name} "{text}": the L, W and # wildcards are not supported')
    values: set[int] = set()
    for item in text.split(","):
        base, _, step = item.partition("/")
        first, _, last = base.partition("-")
        start = low if base == "*" else _value(expression, name, first, low, high, names)
        end = high if base == "*" or (step and not last) else _value(expression, name, last or first, low, high, names)
        if (not step.isdigit() and step) or (step and int(step) < 1) or end < start:
            raise ScheduleExpressionError(f'"{expression}": {name} "{text}" is not a valid range or step')
        values.update(range(start, end + 1, int(step or 1)))
    return frozenset(values)


def _value(expression: str, name: str, text: str, low: int, high: int, names: list[str]) -> int:
    upper = text.upper()
    if upper in names:
        return low + names.index(upper)
    if not text.isdigit() or not low <= int(text) <= high:
        raise ScheduleExpressionError(f'"{expression}": {name} "{text}": expected {low}-{high}')
    return int(text)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone (ScheduleExpressionTimezone), or ScheduleExpressionError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleExpressionError(
            f'time zone "{name}" is not an IANA time zone name; give e.g. "UTC" or "Europe/Paris"'
        ) from None


def fire_times(expression: str, timezone: str, start: datetime, after: datetime, until: datetime) -> Iterator[datetime]:
    """When the schedule invokes its target in (after, until]: a rate every period from `start` (StartDate, or the
    schedule's creation), a cron at each matching minute (in `timezone`) from `start` on. Datetimes are aware."""
    parsed = parse(expression)
    if isinstance(parsed, Rate):
        period = timedelta(seconds=parsed.seconds)
        count = max(0, -(-(after - start) // period)) if after >= start else 0
        moment = start + count * period
        if moment <= after:
            moment += period
        while moment <= until:
            yield moment
            moment += period
        return
    tz = zone(timezone)
    moment = max(after, start - timedelta(minutes=1)).astimezone(tz).replace(second=0, microsecond=0)
    moment += timedelta(minutes=1)
    while moment <= until:
        if moment >= start and parsed.matches(moment):
            yield moment
        moment += timedelta(minutes=1)
