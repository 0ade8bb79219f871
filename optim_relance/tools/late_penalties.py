"""French late-payment penalties (Code de commerce, L441-10), as simple
interest on what was owed each day.

For an installment due on ``due`` and a reminder on ``as_of``, the days late
are ``due + 1`` up to and including ``as_of``. The amount owed on a day is the
installment's amount less the payments dated before that day (a payment
reduces the base from the day after its date). The rate of a day is the rate
of its half-year (L441-10: the ECB rate in force on 1 January applies to the
whole first half-year, the one on 1 July to the second). Each run of days
with the same base and the same half-year earns
``base × rate / 100 × days / 365``; the sum is rounded once per installment
by the caller, with the currency's rounding.
"""

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def half_year_start(day):
    """1 January or 1 July of ``day``'s half-year."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def next_half_year(start):
    return date(start.year, 7, 1) if start.month == 1 else date(start.year + 1, 1, 1)


def segments(due, as_of, amount, payments=()):
    """The runs of days late with one base and one half-year.

    :param payments: ``[(date, amount)]`` paid on the installment
    :return: ``[(half-year start, first day, last day, base)]``, days counted
        inclusively; runs whose base is nothing are left out
    """
    if not due or as_of <= due:
        return []
    first = due + ONE_DAY
    # A run ends before a half-year starts or before the day after a payment.
    breaks = {day + ONE_DAY for day, _paid in payments if first < day + ONE_DAY <= as_of}
    start = next_half_year(half_year_start(first))
    while start <= as_of:
        breaks.add(start)
        start = next_half_year(start)
    runs = []
    for stop in [*sorted(breaks), as_of + ONE_DAY]:
        base = amount - sum(paid for day, paid in payments if day < first)
        if base > 0:
            runs.append((half_year_start(first), first, stop - ONE_DAY, base))
        first = stop
    return runs


def penalty(runs, rate_of):
    """Unrounded penalty of ``runs`` (see ``segments``), ``rate_of(half-year
    start)`` giving the annual rate in percent."""
    return sum(
        base * rate_of(half_year) / 100 * ((last - first).days + 1) / 365
        for half_year, first, last, base in runs
    )
