"""Wall-clock times of an exercise run mapped back to scenario seconds.

Everything the console stores carries wall-clock times; a trainee is judged in scenario time
(a pause stops the clock, 2x speed halves the wall time a deadline allows). The run's ``clock``
anchors say how: from each anchor's wall instant on, scenario time is ``scenario_s + speed x
elapsed wall seconds`` (speed 0 while paused). The replay engine owns the clock and its
mapping (``app.replay.clock``); scoring and reports use that one function, so a score and the
replay never disagree about when something happened.
"""

from __future__ import annotations

from app.replay.clock import scenario_seconds

__all__ = ["scenario_seconds"]
