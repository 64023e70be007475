"""Exact numbers of the scoring rules (pure): half-up rounding, 4-decimal scores, "n/d"
fractions as stored, catalogue parameters as people write them, started days late.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

MICRO = 10**6  # review amounts (value, occurrences, claimed) are kept in millionths
E4 = 10**4  # scores are stored and ranked in 1/10000 points
DAY = timedelta(days=1)


def round_half_up(numerator: int, denominator: int, scale: int) -> int:
    """numerator/denominator rounded half-up to 1/scale, as an integer count of 1/scale
    (>= 0 inputs)."""
    return (2 * numerator * scale + denominator) // (2 * denominator)


def format_scaled(value: int, places: int) -> str:
    """An integer count of 10^-places as a decimal string: (38776, 4) -> '3.8776'."""
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def format_e4(value: int) -> str:
    return format_scaled(value, 4)


def rounded(value: Fraction, places: int) -> str:
    """An exact value rounded half-up to `places` decimals, as a string."""
    return format_scaled(round_half_up(value.numerator, value.denominator, 10**places), places)


def fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def parse_fraction(text: str) -> Fraction:
    numerator, _, denominator = text.partition("/")
    return Fraction(int(numerator), int(denominator or 1))


def decimal_text(value: Decimal | Fraction | int) -> str:
    """A catalogue parameter as people write it: 4, 0.98, 2.5."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(Decimal(value).normalize(), "f")
    return text


def micro_text(amount: int) -> str:
    """Millionths as a decimal string without trailing zeros: 950000 -> '0.95'."""
    return decimal_text(Decimal(amount).scaleb(-6))


def days_late(at: datetime, deadline: datetime) -> int:
    """Started days after the deadline: one second late is one day; on time is 0."""
    if at <= deadline:
        return 0
    micros = (at - deadline) // timedelta(microseconds=1)
    return -(-micros // (DAY // timedelta(microseconds=1)))


def int64s(values: Sequence[int]) -> bytes:
    """Little-endian int64s, the same bytes on any machine (for digests)."""
    packed = array("q", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()
