"""Who a simulated camera sees at a given moment, and where in its picture.

The same list draws the people and serves as ground truth: tests and benchmarks can ask where
each person is (picture box, foot point, map position) and compare with what the detectors and
the analytics report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.demo.camera_figures import SHADOW, STRIDE_M, Stance, draw_person, draw_shadow
from app.demo.camera_pose import CameraPose, site_grid
from app.demo.camera_walkers import Person

BOX_HALF_WIDTH = 0.27  # of the figure's height: swinging arms and legs included


@dataclass(frozen=True, slots=True)
class SeenPerson:
    """One simulated person in one picture: ``person`` indexes ``demo_people``; ``box`` is
    (x, y, w, h) pixels (not clipped to the picture); ``foot``, ``head`` and ``shadow`` are pixel
    positions; ``point`` is (lat, lon) on the map."""

    person: int
    role: str
    box: tuple[float, float, float, float]
    foot: tuple[float, float]
    head: tuple[float, float]
    shadow: tuple[float, float]
    point: tuple[float, float]
    depth_m: float
    stance: Stance


def seen_people(pose: CameraPose, people: tuple[Person, ...], t: float) -> list[SeenPerson]:
    """Everyone at least partly in the picture at time ``t`` seconds, farthest first."""
    states = [p.route.at(t) for p in people]
    xy = np.array([(s[0], s[1]) for s in states]).reshape(-1, 2)
    heights = np.array([p.look.height_m for p in people])
    ground = np.zeros(len(xy))
    foot_uv, depth = pose.project(np.column_stack([xy, ground]))
    head_uv, _ = pose.project(np.column_stack([xy, heights]))
    tip_uv, _ = pose.project(np.column_stack([xy + SHADOW * heights[:, None], ground]))
    right = pose.axes[0][:2]
    ahead = pose.axes[2][:2] / np.hypot(*pose.axes[2][:2])
    grid = site_grid()
    seen = []
    for i in np.argsort(-depth):
        if not _on_screen(foot_uv[i], head_uv[i], tip_uv[i], pose.size):
            continue
        x, y, fx, fy, walked, walking = states[i]
        stance = Stance(
            gait=2.0 * math.pi * walked / STRIDE_M,
            walking=walking,
            lateral=float(fx * right[0] + fy * right[1]),
            away=float(fx * ahead[0] + fy * ahead[1]) > 0.3,
            t=t,
        )
        foot, head = _pair(foot_uv[i]), _pair(head_uv[i])
        seen.append(
            SeenPerson(
                int(i),
                people[i].role,
                _box(foot, head),
                foot,
                head,
                _pair(tip_uv[i]),
                grid.to_geo(x, y),
                float(depth[i]),
                stance,
            )
        )
    return seen


def draw_people(image: np.ndarray, people: tuple[Person, ...], seen: list[SeenPerson]) -> None:
    """Draw the people in ``seen`` (farthest first, so nearer ones cover them)."""
    for one in seen:
        size = one.foot[1] - one.head[1]
        if size >= 6.0:
            draw_shadow(image, np.array(one.foot), np.array(one.shadow), max(size * 0.16, 1.0))
        draw_person(
            image, np.array(one.foot), np.array(one.head), people[one.person].look, one.stance
        )


def _pair(p: np.ndarray) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def _box(foot: tuple[float, float], head: tuple[float, float]) -> tuple[float, ...]:
    size = foot[1] - head[1]
    x0 = min(foot[0], head[0]) - BOX_HALF_WIDTH * size
    x1 = max(foot[0], head[0]) + BOX_HALF_WIDTH * size
    return (x0, head[1], x1 - x0, size * 1.02)


def _on_screen(foot: np.ndarray, head: np.ndarray, tip: np.ndarray, size: tuple[int, int]) -> bool:
    if np.isnan(foot).any() or np.isnan(head).any() or np.isnan(tip).any():
        return False
    height = foot[1] - head[1]
    return (
        height > 1.0 and -height < foot[0] < size[0] + height and head[1] < size[1] and foot[1] > 0
    )
