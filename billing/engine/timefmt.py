"""Times as people type and read them: m:ss or h:mm:ss."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .inputs import plain_decimal, shown
from .money import format_quantity


@lru_cache(maxsize=4096)
def clock(seconds: Decimal | int) -> str:
    """420 -> '7:00'; 3725 -> '1:02:05'; 90.5 -> '1:30.5'. Equal values read the same (1:30
    for 90 and 90.0), so a page's hundreds of times are each worked out once."""
    value = Decimal(seconds)
    whole = int(value)
    fraction = value - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    tail = f"{fraction.normalize():f}".lstrip("0") if fraction else ""
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}{tail}"
    return f"{minutes}:{secs:02d}{tail}"


def parse_clock(text: str) -> Decimal:
    """'7:00' -> 420, '1:02:05' -> 3725, '90' -> 90 (plain seconds). Raises ValueError.

    Each part is a plain decimal (inputs.plain_decimal): no sign, exponent or other script's
    digits, so '1e999999999' is refused here rather than overflowing in the sum below."""
    cleaned = text.strip()
    if not cleaned:
        raise ValueError("enter a time as m:ss or h:mm:ss")
    parts = cleaned.split(":")
    if len(parts) > 3:
        raise ValueError(f"{shown(text)!r} is not a time: use m:ss or h:mm:ss")
    try:
        numbers = [plain_decimal(part, signed=False) for part in parts]
    except ValueError:
        raise ValueError(f"{shown(text)!r} is not a time: use m:ss or h:mm:ss") from None
    if any(n != n.to_integral_value() for n in numbers[:-1]) or (
        len(numbers) > 1 and numbers[-1] >= 60
    ):
        raise ValueError(f"{shown(text)!r} is not a time: seconds must be under 60 in m:ss")
    if len(numbers) == 3 and numbers[1] >= 60:
        raise ValueError(f"{shown(text)!r} is not a time: minutes must be under 60 in h:mm:ss")
    total = Decimal(0)
    for number in numbers:
        total = total * 60 + number
    return total


@lru_cache(maxsize=4096)
def minutes_text(seconds: int | Fraction) -> str:
    """Billed seconds as minutes for an explanation: 600 -> '10 min', 7 -> '0.116667 min'."""
    return f"{Decimal(format_quantity(Fraction(seconds, 60))):,f} min"
