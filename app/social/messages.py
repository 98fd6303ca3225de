"""What the social-media watch tells the panels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.model import Post


@dataclass(frozen=True, slots=True)
class PostAnalysis:
    """A post with what the analyzer found in it (``analysis`` is ``TextAnalysis.to_dict()``:
    plain data, so it crosses threads and reaches the GUI unchanged)."""

    post: Post
    analysis: dict[str, Any]


@dataclass(frozen=True, slots=True)
class SocialSnapshot:
    """The feed's starting picture: recent posts, analysed off the GUI thread."""

    items: tuple[PostAnalysis, ...]


@dataclass(frozen=True, slots=True)
class AuthorNetworkView:
    """Who drives the conversation: ``AuthorNetwork.to_dict()`` of the recent posts (influencers
    by PageRank, spreaders by reach, communities), recomputed off the GUI thread."""

    network: dict[str, Any]
