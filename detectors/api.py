"""The detector SDK: what every detector (sensor, video, text) looks like to the console.

A detector is a generator ``run(source, params, token)``: it is handed its parameters before it
starts (so a panel changing a setting mid-run cannot leave it half-configured), pulls items from
``source``, yields findings as they are decided, and checks the cancel token between items, so
the thread that drives it can stop it without killing the thread. Detectors never touch Qt: the
GUI side drives them from its own threads and receives each yield through a queued signal.

Detectors whose state must survive between calls (a live sensor feed arrives in batches) are
written as small state machines with a ``step(item)`` method; ``run_steps`` turns any such
machine into the generator form, so both forms share one implementation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

S_contra = TypeVar("S_contra", contravariant=True)
P_contra = TypeVar("P_contra", contravariant=True)
F_co = TypeVar("F_co", covariant=True)
S = TypeVar("S")
F = TypeVar("F")


class CancelToken:
    """A one-way switch shared by the driver (who cancels) and the detector (who checks).

    Wraps ``threading.Event`` so that a detector waiting for input can also sleep on it and wake
    as soon as it is cancelled.
    """

    def __init__(self) -> None:
        self._event = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        self._event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Sleeps until cancelled or ``timeout`` passes; True when cancelled."""
        return self._event.wait(timeout)


class Detector(Protocol[S_contra, P_contra, F_co]):
    """What the console drives: items in, findings out, stoppable between items. A detector
    module with a module-level ``run`` function satisfies it as well as an object does."""

    def run(
        self, source: Iterable[S_contra], params: P_contra, token: CancelToken
    ) -> Iterator[F_co]: ...


class Stepper(Protocol[S_contra, F_co]):
    """A detector's state machine: one item in, the findings it decides (often none) out."""

    def step(self, item: S_contra) -> Iterable[F_co]: ...


def cancellable(source: Iterable[S], token: CancelToken) -> Iterator[S]:
    """``source`` until it ends or ``token`` is cancelled, checked before every item, so a
    detector built on it stops at the next item even when it is suspended in a yield."""
    for item in source:
        if token.cancelled:
            return
        yield item
        if token.cancelled:
            return


def run_steps(stepper: Stepper[S, F], source: Iterable[S], token: CancelToken) -> Iterator[F]:
    """The generator form of a state machine: feeds it ``source`` and yields its findings."""
    for item in cancellable(source, token):
        for finding in stepper.step(item):
            yield finding
            if token.cancelled:
                return
