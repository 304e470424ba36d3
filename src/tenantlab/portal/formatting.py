"""How the portal writes times: UTC dates and 'in 3 days' / '5 minutes ago' against the clock."""

from __future__ import annotations

from markupsafe import Markup

from tenantlab.clock import iso_z


def utc(epoch: float) -> str:
    return iso_z(epoch).replace("T", " ").replace("Z", " UTC")


def day(epoch: float) -> str:
    return iso_z(epoch)[:10]


def day_html(epoch: float) -> Markup:
    """The date as a <time> element that never breaks inside ("2026-\n12-04")."""
    text = day(epoch)
    return Markup('<time class="date" datetime="{0}">{0}</time>').format(text)


def relative_time(epoch: float, now: float) -> str:
    """Expiry the way people read it; rounded down to the largest whole unit."""
    delta = epoch - now
    seconds = abs(delta)
    unit, count = "second", int(seconds)
    for name, size in (("year", 365 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            unit, count = name, int(seconds // size)
            break
    text = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {text}" if delta >= 0 else f"{text} ago"
