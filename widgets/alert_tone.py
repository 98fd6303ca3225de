"""The new-P1 alert tone: synthesised here (two falling beeps), written once to the user's
data folder and played through Qt Multimedia. No sound file is bundled or downloaded."""

from __future__ import annotations

import logging
import wave
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

RATE = 22_050
BEEPS = ((988.0, 0.18), (0.0, 0.07), (784.0, 0.18), (0.0, 0.07), (988.0, 0.18), (784.0, 0.30))


def synthesise() -> bytes:
    """16-bit mono PCM; each beep fades in and out so it does not click."""
    parts = []
    for frequency, seconds in BEEPS:
        t = np.arange(int(RATE * seconds)) / RATE
        tone = np.sin(2 * np.pi * frequency * t) if frequency else np.zeros_like(t)
        ramp = np.minimum(1.0, np.minimum(t, seconds - t) / 0.015)
        parts.append(tone * ramp * 0.6)
    return (np.concatenate(parts) * 32767).astype("<i2").tobytes()


def tone_file(folder: Path) -> Path:
    path = folder / "alert-p1.wav"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(synthesise())
    return path


class AlertTone:
    """Plays the tone; silently does nothing where the machine has no audio output."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._effect = None
        self.played = 0

    def play(self) -> None:
        self.played += 1
        try:
            if self._effect is None:
                from PySide6.QtCore import QUrl
                from PySide6.QtMultimedia import QSoundEffect

                self._effect = QSoundEffect()
                self._effect.setSource(QUrl.fromLocalFile(str(tone_file(self.folder))))
            self._effect.play()
        except (ImportError, OSError) as exc:
            log.warning("Cannot play the alert tone: %s", exc)
