"""Drawing simulated people: simple figures that still read as people to an operator and to the
detectors (a solid body darker than the paving, a head, legs that alternate, a shadow).

A figure is laid out along its own axis, from the projected foot point to the projected top of
the head, so perspective sizes and leans it; parts are placed as fractions of that length. All
drawing is with OpenCV primitives at sub-pixel precision (``shift``), a few calls per person.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.demo.camera_walkers import Appearance
from detectors.video.cv import cv2

SHIFT = 4
ONE = 1 << SHIFT
STRIDE_M = 1.5
SHADOW = np.array([0.55, 0.75])  # sun from the south-west: shadows fall north-east (m per m)
TINY_PX = 10.0
SHOES = (30, 30, 30)


def _pt(p: tuple[float, float] | np.ndarray) -> tuple[int, int]:
    return round(float(p[0]) * ONE), round(float(p[1]) * ONE)


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return (
        min(int(colour[0] * factor), 255),
        min(int(colour[1] * factor), 255),
        min(int(colour[2] * factor), 255),
    )


def draw_shadow(image: np.ndarray, foot: np.ndarray, tip: np.ndarray, width: float) -> None:
    """Darken the ground under a figure along its shadow (a blend in a small window only)."""
    h, w = image.shape[:2]
    margin = width + 2.0
    x0, y0 = (int(max(min(foot[i], tip[i]) - margin, 0)) for i in (0, 1))
    x1, y1 = int(min(max(foot[0], tip[0]) + margin, w)), int(min(max(foot[1], tip[1]) + margin, h))
    if x1 <= x0 or y1 <= y0:
        return
    window = image[y0:y1, x0:x1]
    mask = np.zeros(window.shape[:2], dtype=np.uint8)
    offset = np.array([x0, y0])
    cv2.line(
        mask, _pt(foot - offset), _pt(tip - offset), 255, max(int(width), 1), cv2.LINE_AA, SHIFT
    )
    shade = (mask.astype(np.float32) * (0.4 / 255.0))[..., None]
    window[:] = (window * (1.0 - shade)).astype(np.uint8)


@dataclass(frozen=True, slots=True)
class Proportions:
    """Body proportions as fractions of the figure's height (sideways ones are half-widths).
    Close to a real adult's, a little wider at the hands and feet: OpenCV's HOG pedestrian
    detector (trained on photographs) then finds about 90 % of figures 60-90 px tall at its
    default analysis width, against about 35 % with arms and feet close in."""

    leg: float = 0.085
    stance: float = 0.08
    stride: float = 0.13
    hip_height: float = 0.5
    hip_joint: float = 0.045
    hips: float = 0.1
    shoulders: float = 0.135
    shoulder_height: float = 0.8
    shoulder_round: float = 0.03
    arm: float = 0.055
    arm_root: float = 0.125
    hand_out: float = 0.21
    hand_height: float = 0.47
    head: float = 0.072


BODY = Proportions()


@dataclass(frozen=True, slots=True)
class Stance:
    """How a figure stands this frame: stride phase ``gait`` (radians), whether it walks, how
    much the walk runs across the picture (``lateral``, -1..1: legs swing sideways in the
    picture) or away from the camera (``away``: the back of the head shows), and the time in
    seconds (someone standing still still shifts their weight)."""

    gait: float
    walking: bool
    lateral: float
    away: bool
    t: float


Point = tuple[float, float]


class _Figure:
    """Places body parts as fractions of the figure's height along its projected axis (plain
    floats: a few dozen points per figure, where NumPy's per-call cost would dominate)."""

    def __init__(self, image: np.ndarray, foot: np.ndarray, head: np.ndarray) -> None:
        self.image = image
        self.fx, self.fy = float(foot[0]), float(foot[1])
        self.ax, self.ay = float(head[0]) - self.fx, float(head[1]) - self.fy
        self.size = math.hypot(self.ax, self.ay)
        self.sx, self.sy = -self.ay, self.ax  # the picture's right, one figure-height long

    def at(self, s: float, across: float) -> Point:
        return (self.fx + self.ax * s + self.sx * across, self.fy + self.ay * s + self.sy * across)

    def line(self, a: Point, b: Point, colour: tuple[int, int, int], thick: int) -> None:
        cv2.line(self.image, _pt(a), _pt(b), colour, thick, cv2.LINE_AA, SHIFT)

    def disc(self, centre: Point, radius: float, colour: tuple[int, int, int]) -> None:
        cv2.circle(
            self.image,
            _pt(centre),
            max(int(radius * ONE), ONE // 2),
            colour,
            -1,
            cv2.LINE_AA,
            SHIFT,
        )

    def polygon(self, points: list[Point], colour: tuple[int, int, int]) -> None:
        cv2.fillConvexPoly(
            self.image, np.array([_pt(p) for p in points]), colour, cv2.LINE_AA, SHIFT
        )


def draw_person(
    image: np.ndarray, foot: np.ndarray, head: np.ndarray, look: Appearance, stance: Stance
) -> None:
    """One figure from ``foot`` to the top of ``head`` (pixel positions)."""
    figure = _Figure(image, foot, head)
    if figure.size < 2.0:
        return
    if figure.size < TINY_PX:
        thick = max(int(figure.size * 0.25), 1)
        figure.line(figure.at(0.05, 0), figure.at(0.75, 0), look.shirt, thick)
        figure.disc(figure.at(0.9, 0), figure.size * 0.1, look.skin)
        return
    sway = 0.0 if stance.walking else 0.012 * math.sin(0.8 * stance.t + look.sway_phase)
    swing = math.sin(stance.gait) if stance.walking else 0.0
    _legs(figure, look, stance, swing)
    _torso(figure, look, sway)
    _arms(figure, look, stance, swing, sway)
    _head(figure, look, stance, sway)


def _legs(figure: _Figure, look: Appearance, stance: Stance, swing: float) -> None:
    """Legs swing sideways in the picture for a walk across it, and lift in turn for a walk
    towards or away from the camera."""
    b = BODY
    thick = max(int(figure.size * b.leg * look.build), 1)
    toe = math.copysign(1.0, stance.lateral) if abs(stance.lateral) > 0.3 else 0.0
    for sign in (-1.0, 1.0):
        stride = sign * swing
        lift = 0.035 * max(stride, 0.0) * (1.0 - abs(stance.lateral))
        foot = figure.at(lift, sign * b.stance + b.stride * stance.lateral * stride)
        hip = figure.at(b.hip_height, sign * b.hip_joint * look.build)
        figure.line(hip, foot, look.trousers, thick)
        tip = (foot[0] + figure.sx * 0.035 * toe, foot[1] + figure.sy * 0.035 * toe)
        figure.line(foot, tip, SHOES, thick)


def _torso(figure: _Figure, look: Appearance, sway: float) -> None:
    """A tapered torso with rounded shoulders, its sunlit side brighter so it reads as a body,
    not a flat sign."""
    b, w = BODY, look.build
    low, high, r = b.hip_height - 0.01, b.shoulder_height, b.shoulder_round
    top = high - r  # where the shoulders start to round off

    def edge(s: float, across: float) -> Point:
        return figure.at(s, across * w + sway)

    dark = _shade(look.shirt, 0.72)
    figure.polygon(
        [edge(low, -b.hips), edge(low, b.hips), edge(top, b.shoulders), edge(top, -b.shoulders)],
        dark,
    )
    figure.polygon(
        [
            edge(top, r - b.shoulders),
            edge(top, b.shoulders - r),
            edge(high, b.shoulders - r),
            edge(high, r - b.shoulders),
        ],
        dark,
    )
    figure.disc(edge(top, b.shoulders - r), figure.size * r * w, dark)
    figure.disc(edge(top, r - b.shoulders), figure.size * r * w, look.shirt)
    figure.polygon(
        [
            edge(low, -b.hips),
            edge(low, 0.02),
            edge(high, 0.03),
            edge(high, r - b.shoulders),
            edge(top, -b.shoulders),
        ],
        look.shirt,
    )


def _arms(figure: _Figure, look: Appearance, stance: Stance, swing: float, sway: float) -> None:
    b = BODY
    thick = max(int(figure.size * b.arm * look.build), 1)
    for sign in (-1.0, 1.0):
        reach = sign * (b.hand_out * look.build) - 0.07 * stance.lateral * sign * swing
        hand = figure.at(b.hand_height, reach + sway)
        shoulder = figure.at(b.shoulder_height - 0.02, sign * b.arm_root * look.build + sway)
        figure.line(shoulder, hand, _shade(look.shirt, 0.85), thick)
        figure.disc(hand, thick * 0.6, look.skin)


def _head(figure: _Figure, look: Appearance, stance: Stance, sway: float) -> None:
    """A head on a short neck; seen from behind, mostly hair."""
    radius = figure.size * BODY.head
    centre = figure.at(1.0 - BODY.head * 1.25, sway)
    figure.line(figure.at(0.8, sway), centre, _shade(look.skin, 0.85), max(int(radius), 1))
    figure.disc(centre, radius, look.hair if stance.away else look.skin)
    axes = (int(radius * ONE), int(radius * (0.95 if stance.away else 0.8) * ONE))
    start = 150 if stance.away else 180
    cv2.ellipse(
        figure.image, _pt(centre), axes, 0, start, 540 - start, look.hair, -1, cv2.LINE_AA, SHIFT
    )
