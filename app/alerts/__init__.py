"""The alert centre.

The rules (``lifecycle``, ``priority``, ``dedup``, ``fusion``, ``flood``, ``sop``) are pure and
deterministic: they take records and a ``now`` and return new records or results, touching
neither Qt, the store nor the clock, so live operation, replay and the trainer's scenarios run
the same code and every rule is tested exactly. ``pipeline``, ``repository`` and ``service``
apply them to the store and the hub; ``queue_table`` holds the queue's rows for the panel.
"""

from app.alerts.dedup import DedupRules, find_repeat, fold_repeat
from app.alerts.flood import FloodGroup, FloodMonitor, FloodState, banner_text
from app.alerts.fusion import FusionCandidate, FusionReason, FusionRules, fuse
from app.alerts.lifecycle import (
    OPEN_STATES,
    Action,
    AlertChange,
    LifecycleError,
    is_open,
    is_shelved,
    push_back_verb,
)
from app.alerts.priority import PriorityAssessment, PriorityRules
from app.alerts.sop import SopLibrary

__all__ = [
    "OPEN_STATES",
    "Action",
    "AlertChange",
    "DedupRules",
    "FloodGroup",
    "FloodMonitor",
    "FloodState",
    "FusionCandidate",
    "FusionReason",
    "FusionRules",
    "LifecycleError",
    "PriorityAssessment",
    "PriorityRules",
    "SopLibrary",
    "banner_text",
    "find_repeat",
    "fold_repeat",
    "fuse",
    "is_open",
    "is_shelved",
    "push_back_verb",
]
