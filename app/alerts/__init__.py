"""Alert logic on records: lifecycle, priority, dedup, fusion, floods and SOP checklists.

Pure and deterministic: functions take records and a ``now`` and return new records or result
objects. Nothing here touches Qt, the store or the clock, so the same code serves the live
console, replay and the trainer's simulated tools, and every rule can be tested exactly.
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
