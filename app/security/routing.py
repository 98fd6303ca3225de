"""Which alerts a person sees: all of them, those routed to their organisation, or only those
another organisation shares with them.

An organisation's routing rules (policy data) match an alert by category, priority, event type
and zone; a zone condition holds when the alert's point lies inside the zone's polygon. Zones
change at run time (an operator draws one), so the router keeps the current polygons, fed from
the store at start and from the hub's ``Zone``/``ZoneRemoved`` messages afterwards.

A person whose roles limit them to some zones sees only alerts placed inside those zones.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.model import Alert, GeoPoint, Zone
from app.security.model import ALL, AlertScope, Principal, RoutingRule
from app.security.policy import Policy

Ring = tuple[tuple[float, float], ...]  # (lon, lat) corners, closed


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What routing needs of an alert; kept for every alert seen, so small."""

    identifier: str
    category: str
    priority: int
    event_type: str
    point: GeoPoint | None

    @classmethod
    def of(cls, alert: Alert) -> AlertFacts:
        return cls(
            alert.identifier,
            str(alert.category),
            int(alert.priority),
            alert.event_type,
            place_of(alert),
        )


def place_of(alert: Alert) -> GeoPoint | None:
    """The alert's point, else its area's circle centre or first corner."""
    if alert.point is not None:
        return alert.point
    area = alert.area
    if area is not None:
        if area.circle is not None:
            return area.circle.centre
        if area.polygon:
            return area.polygon[0]
    return None


def inside(ring: Ring, point: GeoPoint) -> bool:
    """Even-odd ray casting in longitude/latitude: exact enough for zones a few km wide."""
    x, y = point.lon, point.lat
    result = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            result = not result
    return result


class AlertRouter:
    """Answers ``sees(principal, alert)``; thread-safe (zones change on the hub's threads)."""

    def __init__(self, policy: Policy, zones: Iterable[Zone] = ()) -> None:
        self.policy = policy
        self._lock = threading.Lock()
        self._zones: dict[str, Ring] = {}
        self.set_zones(zones)

    def set_zones(self, zones: Iterable[Zone]) -> None:
        rings = {zone.identifier: tuple((p.lon, p.lat) for p in zone.polygon) for zone in zones}
        with self._lock:
            self._zones.update(rings)

    def remove_zones(self, identifiers: Iterable[str]) -> None:
        with self._lock:
            for identifier in identifiers:
                self._zones.pop(identifier, None)

    def zones_holding(self, point: GeoPoint | None) -> frozenset[str]:
        if point is None:
            return frozenset()
        with self._lock:
            rings = list(self._zones.items())
        return frozenset(name for name, ring in rings if inside(ring, point))

    def sees(self, principal: Principal | None, alert: Alert | AlertFacts) -> bool:
        if principal is None:
            return False
        facts = alert if isinstance(alert, AlertFacts) else AlertFacts.of(alert)
        if ALL not in principal.zones and not (self.zones_holding(facts.point) & principal.zones):
            return False
        if principal.alerts == AlertScope.ALL:
            return True
        organisation = self.policy.organisations.get(principal.organisation)
        if organisation is None:
            return False
        # Routed: the home organisations' rules; shared: only an external one's.
        if principal.alerts == AlertScope.SHARED and not organisation.external:
            return False
        return any(
            self._matches(rule, facts)
            for rule in organisation.routing
            if not rule.roles or rule.roles & set(principal.roles)
        )

    def visible(self, principal: Principal | None, messages: Sequence[object]) -> list[object]:
        """``messages`` without the alerts ``principal`` may not see (other messages pass)."""
        return [m for m in messages if not isinstance(m, Alert) or self.sees(principal, m)]

    def _matches(self, rule: RoutingRule, facts: AlertFacts) -> bool:
        if rule.categories and facts.category not in rule.categories:
            return False
        if facts.priority > rule.max_priority:
            return False
        if rule.event_types and facts.event_type not in rule.event_types:
            return False
        return not rule.zones or bool(self.zones_holding(facts.point) & rule.zones)
