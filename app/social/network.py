"""Who talks to whom: a directed, weighted graph of authors built from mentions and replies.

A threat posted once is an alert; a threat echoed by a cluster of accounts that mention each
other is a campaign. The graph answers the analyst's three questions: who is listened to
(influencers: PageRank, so being mentioned by the listened-to counts more than by anyone),
who pushes to many (spreaders: distinct authors reached), and which groups talk among
themselves (communities: greedy modularity). An edge ``a → b`` means ``a`` mentioned ``@b`` or
replied to ``b``; its weight is how many posts did so.

Authors are pseudonyms (ingest replaced the handles), so the graph holds no identities. It is
bounded: only the most recent ``max_posts`` posts are used, so a long-running console cannot
grow it without limit. Everything is deterministic for a given set of posts (sorted node and
edge order, sorted results), so two workstations show the same ranking.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np

from app.model import Post

DEFAULT_MAX_POSTS = 50_000
# "@name" not preceded by a word character or another "@" (so "x@y.org" is no mention); the
# name may contain dots and dashes inside but not end with them (the full stop after a name).
MENTION = re.compile(r"(?<![\w@])@(\w(?:[\w.-]*\w)?)")
PAGERANK_ALPHA = 0.85
PAGERANK_TOLERANCE = 1e-10
PAGERANK_MAX_ITER = 200


def mentions(text: str) -> tuple[str, ...]:
    """The distinct pseudonyms mentioned in a text, in order of first appearance."""
    return tuple(dict.fromkeys(MENTION.findall(text)))


@dataclass(frozen=True, slots=True)
class RankedAuthor:
    author: str
    score: float


@dataclass(frozen=True, slots=True)
class NetworkSummary:
    posts: int  # posts used (at most the cap)
    posts_dropped: int  # older posts left out by the cap
    authors: int  # nodes: posting or mentioned authors
    links: int  # distinct author → author edges
    mentions: int  # mention interactions (one per post and mentioned author)
    replies: int  # reply interactions (self-replies, threads, are not links)
    communities: int


class AuthorNetwork:
    """Immutable once built; rankings are computed on first use and kept."""

    def __init__(self, graph: nx.DiGraph, counts: Mapping[str, int]) -> None:
        self._graph = graph
        self._counts = dict(counts)

    @classmethod
    def from_posts(
        cls, posts: Iterable[Post], *, max_posts: int = DEFAULT_MAX_POSTS
    ) -> AuthorNetwork:
        if max_posts < 1:
            raise ValueError(f"max_posts must be at least 1 (got {max_posts})")
        kept, seen = _most_recent(posts, max_posts)
        edges, counts = _interactions(kept)
        graph = nx.DiGraph()
        graph.add_nodes_from(sorted({p.author for p in kept} | {n for e in edges for n in e}))
        for (source, target), kinds in sorted(edges.items()):
            graph.add_edge(source, target, weight=sum(kinds.values()), **kinds)
        counts.update(posts=len(kept), posts_dropped=seen - len(kept))
        return cls(graph, counts)

    @property
    def graph(self) -> nx.DiGraph:
        """A copy: callers may annotate or prune it without changing this network."""
        return self._graph.copy()

    def influencers(self, n: int = 10) -> list[RankedAuthor]:
        return _top(self._pagerank, n)

    def spreaders(self, n: int = 10) -> list[RankedAuthor]:
        """By distinct authors reached; ties broken by total interactions, then name."""
        g = self._graph
        active = [a for a in g if g.out_degree(a) > 0]
        active.sort(key=lambda a: (-g.out_degree(a), -g.out_degree(a, weight="weight"), a))
        return [RankedAuthor(a, float(g.out_degree(a))) for a in active[: max(n, 0)]]

    def communities(self, min_size: int = 2) -> list[tuple[str, ...]]:
        """Groups of at least ``min_size`` authors, largest first, members sorted."""
        return [c for c in self._communities if len(c) >= min_size]

    def summary(self) -> NetworkSummary:
        return NetworkSummary(
            posts=self._counts["posts"],
            posts_dropped=self._counts["posts_dropped"],
            authors=self._graph.number_of_nodes(),
            links=self._graph.number_of_edges(),
            mentions=self._counts["mentions"],
            replies=self._counts["replies"],
            communities=len(self.communities()),
        )

    def to_dict(self, n: int = 10) -> dict[str, Any]:
        """Plain data for a panel or a report (JSON-serialisable)."""
        return {
            "summary": asdict(self.summary()),
            "influencers": [asdict(r) for r in self.influencers(n)],
            "spreaders": [asdict(r) for r in self.spreaders(n)],
            "communities": [list(c) for c in self.communities()],
        }

    @cached_property
    def _pagerank(self) -> dict[str, float]:
        return pagerank(self._graph)

    @cached_property
    def _communities(self) -> list[tuple[str, ...]]:
        undirected = nx.Graph()
        undirected.add_nodes_from(self._graph)  # sorted already
        for source, target, weight in self._graph.edges(data="weight"):
            # a→b and b→a are one tie, as strong as both together.
            previous = undirected.get_edge_data(source, target, {"weight": 0})["weight"]
            undirected.add_edge(source, target, weight=previous + weight)
        if undirected.number_of_edges() == 0:
            return [(node,) for node in undirected]
        found = nx.community.greedy_modularity_communities(undirected, weight="weight")
        return sorted((tuple(sorted(c)) for c in found), key=lambda c: (-len(c), c))


def _most_recent(posts: Iterable[Post], limit: int) -> tuple[list[Post], int]:
    """At most ``limit`` newest posts (memory bounded by the limit, not by the input), and
    how many posts there were."""
    heap: list[tuple[Any, int, Post]] = []
    seen = 0
    for post in posts:
        item = (post.time, -seen, post)  # at equal times the earlier-delivered post stays
        seen += 1
        if len(heap) < limit:
            heapq.heappush(heap, item)
        else:
            heapq.heappushpop(heap, item)
    return [item[2] for item in sorted(heap, key=lambda i: (i[0], -i[1]))], seen


def _interactions(
    posts: Sequence[Post],
) -> tuple[dict[tuple[str, str], Counter[str]], Counter[str]]:
    """Edges with their count per kind, and the totals for the summary. ``reply_to`` is the
    pseudonym of the author replied to (set by ingest like ``author``), read with ``getattr``
    so that records from before the field existed still build a mention network."""
    edges: dict[tuple[str, str], Counter[str]] = {}
    counts: Counter[str] = Counter(mentions=0, replies=0)
    for post in posts:
        for name in mentions(post.text):
            if name != post.author:
                edges.setdefault((post.author, name), Counter())["mentions"] += 1
                counts["mentions"] += 1
        target = getattr(post, "reply_to", None)
        if target and target != post.author:
            edges.setdefault((post.author, target), Counter())["replies"] += 1
            counts["replies"] += 1
    return edges, counts


def pagerank(graph: nx.DiGraph, alpha: float = PAGERANK_ALPHA) -> dict[str, float]:
    """Weighted PageRank by power iteration over the edge list.

    ``networkx.pagerank`` needs SciPy, which nothing else here uses; this is the same
    definition (dangling authors spread their rank evenly) in O(edges) numpy per iteration.
    """
    nodes = list(graph)
    if not nodes:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    size = len(nodes)
    edges = list(graph.edges(data="weight"))
    source = np.array([index[s] for s, _, _ in edges], dtype=np.int64)
    target = np.array([index[t] for _, t, _ in edges], dtype=np.int64)
    weight = np.array([w for _, _, w in edges], dtype=np.float64)
    out_weight = np.bincount(source, weights=weight, minlength=size)
    share = weight / out_weight[source] if edges else weight
    dangling = out_weight == 0
    rank = np.full(size, 1.0 / size)
    for _ in range(PAGERANK_MAX_ITER):
        spread = np.bincount(target, weights=rank[source] * share, minlength=size)
        new = alpha * (spread + rank[dangling].sum() / size) + (1.0 - alpha) / size
        converged = np.abs(new - rank).sum() < size * PAGERANK_TOLERANCE
        rank = new
        if converged:
            break
    return {node: float(rank[i]) for node, i in index.items()}


def _top(scores: dict[str, float], n: int) -> list[RankedAuthor]:
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    return [RankedAuthor(author, score) for author, score in ranked[: max(n, 0)]]
