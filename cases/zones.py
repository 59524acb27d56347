"""A debtor's time zones: each address's zone, derived from its coordinates or picked by a user.

The checks judge contact hours in EVERY zone linked to the debtor (Reg F 12 CFR 1006.6(b)(1)(i)):
`debtor_zones` gives the verified addresses' zones, the visit address's first; the debtor's own
`time_zone` only stands in while no verified address has one. Coordinates are turned into a zone
offline by timezonefinder (the timezone-boundary-builder polygons, bundled with the package).
"""

from __future__ import annotations

import functools
import zoneinfo
from decimal import Decimal
from typing import Any


@functools.lru_cache(maxsize=1)
def _finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def zone_from_coordinates(latitude: Decimal, longitude: Decimal) -> str | None:
    """The IANA zone at a point (None at sea or outside every zone's polygon)."""
    name = _finder().timezone_at(lat=float(latitude), lng=float(longitude))
    if not name or name.startswith("Etc/") or name not in zoneinfo.available_timezones():
        return None
    return str(name)


def debtor_zones(debtor: Any, first: Any = None) -> tuple[str, ...]:
    """Every zone linked to the debtor: `first` (the visit address) first, then each verified
    address's; the debtor's own zone when none is known. Reads `debtor.addresses.all()` (prefetchable)."""
    zones = [first.time_zone] if first is not None else []
    zones += [a.time_zone for a in debtor.addresses.all() if a.status == "verified"]
    zones = [z for z in zones if z]
    if not zones and debtor.time_zone:
        zones = [debtor.time_zone]
    return tuple(dict.fromkeys(zones))
