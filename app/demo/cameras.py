"""Simulated cameras for the demo: a generated view of the demo site's square, with people
walking about, as a ``FrameSource`` like any real camera.

The demo must show live video without downloading footage, and its alerts must come from the
real analytics, not from a script. So each simulated camera renders what a camera at its site
position would see (``camera_pose``, ``camera_render``) with simulated people whose plans
(``camera_script``) give the analytics crowds, intrusions and loitering to find. Frame *k* is a
pure function of *k* and the seed: the pipeline paces the source (``live`` is false), and the
same frame is the same picture on every run. Every picture says ``SIMULATED CAMERA`` in its
top-left corner so it is never mistaken for real footage.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from app.demo.camera_label import label_layout, paint_band, stamp_clock
from app.demo.camera_pose import DEFAULT_SIZE, camera_pose
from app.demo.camera_render import render_background
from app.demo.camera_scene import SeenPerson, draw_people, seen_people
from app.demo.camera_script import DEFAULT_SEED, demo_people
from app.demo.camera_site import demo_site
from detectors.video.frames import SourceError
from i18n import N_, gettext

URI_SCHEME = "demo://"
UNKNOWN = N_("There is no simulated camera {camera} on the demo site (it has {known}).")
CLOSED = N_("The simulated camera {camera} has been closed.")


def demo_camera_ids() -> list[str]:
    """The site's camera identifiers (``cam-1`` ...), each of which can be opened."""
    return [c.identifier for c in demo_site().cameras]


def demo_camera_id(uri: str) -> str | None:
    """The camera identifier of a ``demo://cam-N`` address, or None for any other address."""
    if not uri.lower().startswith(URI_SCHEME):
        return None
    return uri[len(URI_SCHEME) :].strip("/") or None


class DemoCameraSource:
    """A simulated site camera (``FrameSource``): ``read`` never ends, ``close`` stops it."""

    live = False

    def __init__(
        self,
        camera_id: str,
        fps: float = 10.0,
        size: tuple[int, int] = DEFAULT_SIZE,
        seed: int = DEFAULT_SEED,
    ) -> None:
        if demo_site().camera(camera_id) is None:
            known = ", ".join(demo_camera_ids())
            raise SourceError(gettext(UNKNOWN).format(camera=camera_id, known=known))
        if not fps > 0 or min(size) < 64:  # the caller's mistake, not the operator's
            raise ValueError(f"a simulated camera needs fps > 0 and 64x64 pixels, got {fps} {size}")
        self.camera_id = camera_id
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self._pose = camera_pose(camera_id, self.size)
        self._background = labelled_background(camera_id, self.size)
        self._label = label_layout(camera_id, self.size[0])
        self._people = demo_people(seed)
        self._index = 0
        self._closed = False

    def read(self) -> np.ndarray:
        """The next picture (a new HxWx3 BGR array each time)."""
        if self._closed:
            raise SourceError(gettext(CLOSED).format(camera=self.camera_id))
        image = self.render(self._index)
        self._index += 1
        return image

    def close(self) -> None:
        self._closed = True

    def render(self, index: int) -> np.ndarray:
        """Picture number ``index`` (from 0), whatever was read before."""
        t = index / self.fps
        image = self._background.copy()
        draw_people(image, self._people, seen_people(self._pose, self._people, t))
        stamp_clock(image, self._background, self._label, t)
        return image

    def people(self, index: int) -> list[SeenPerson]:
        """Ground truth for picture ``index``: who is in it, where (box, foot point, map
        position) and doing what (``role``: crowd, intruder, loiterer, crosser)."""
        return seen_people(self._pose, self._people, index / self.fps)


@cache
def labelled_background(camera_id: str, size: tuple[int, int]) -> np.ndarray:
    """The background with the label band painted in (read-only; shared by every source)."""
    image = render_background(camera_id, size)
    paint_band(image, label_layout(camera_id, size[0]))
    image.flags.writeable = False
    return image
