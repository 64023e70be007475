"""Exact numbers of the scoring rules (pure): half-up rounding, 4-decimal scores, "n/d"
fractions as stored, catalogue parameters as people write them, started days late.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MICRO = 10**6  # review amounts (value, occurrences, claimed) are kept in millionths
E4 = 10**4  # scores are stored and ranked in 1/10000 points
DAY = timedelta(days=1)
# Any decimal a caller sends (weights, review values, cells of an import): at most this many
# characters and a magnitude between 10^-MAX_EXPONENT and 10^MAX_EXPONENT, checked before
# any exact (int, Fraction) conversion, which would take seconds to hours on "1e1000000".
MAX_DECIMAL_CHARS = 40
MAX_EXPONENT = 30


def bounded_decimal(text: str) -> Decimal:
    """A finite decimal of bounded length and exponent; ValueError (with a short reason)
    otherwise. Constant time whatever the input."""
    if len(text) > MAX_DECIMAL_CHARS:
        raise ValueError(f"must be a number of at most {MAX_DECIMAL_CHARS} characters")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        raise ValueError(f"must be between 1e-{MAX_EXPONENT} and 1e{MAX_EXPONENT} in magnitude")
    if value.as_tuple().exponent < -MAX_EXPONENT:  # type: ignore[operator]
        raise ValueError(f"must have at most {MAX_EXPONENT} decimal places")
    return value


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
