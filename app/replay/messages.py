"""Hub messages between the trainer's panel (or the command line) and the exercise service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# What a command can ask; ``value`` is the scenario (start), the speed, or the scenario time.
COMMANDS = frozenset({"start", "play", "pause", "speed", "seek", "restart", "stop"})


@dataclass(frozen=True, slots=True)
class ExerciseCommand:
    """``start`` (value: a bundled scenario's name or a file path; ``speed`` and ``trainee``
    optional), ``play``, ``pause``, ``speed`` (value: 0.5-60), ``seek`` (value: scenario
    seconds), ``restart`` or ``stop``. Submitted through ``core.submit``."""

    action: str
    value: float | str | None = None
    speed: float | None = None
    trainee: str | None = None

    def __post_init__(self) -> None:
        if self.action not in COMMANDS:
            raise ValueError(f"unknown exercise command {self.action!r}")


@dataclass(frozen=True, slots=True)
class ExerciseStatus:
    """Where the exercise stands, about twice a second while one runs. ``running`` is false
    once it is stopped (or before any started); ``finished`` when the scenario reached its
    end; ``problem`` says why a command could not be done (a scenario that does not load)."""

    run_id: str | None = None
    scenario_id: str = ""
    title: str = ""
    scenario_s: float = 0.0
    duration_s: float = 0.0
    speed: float = 1.0
    paused: bool = False
    injects_played: int = 0
    injects_total: int = 0
    running: bool = False
    finished: bool = False
    score: dict[str, Any] | None = None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ScenarioChoices:
    """The bundled scenarios a trainer can start: ``(name, title)``."""

    scenarios: tuple[tuple[str, str], ...]
