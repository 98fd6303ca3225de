"""The author network: built from mentions and replies, ranked, grouped, and bounded."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import networkx as nx
import pytest

from app.model import Post
from app.social.network import AuthorNetwork, mentions, pagerank

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
_counter = itertools.count()


def post(author: str, text: str, *, reply_to: str | None = None) -> Post:
    step = next(_counter)
    return Post(
        identifier=f"p-{step}",
        platform="microblog",
        author=author,
        text=text,
        time=T0 + timedelta(seconds=step),
        reply_to=reply_to,
    )


def two_groups() -> list:
    """Group A around ``hub`` (everyone mentions it; ``a2`` reaches all of A), group B a
    ring with a chord, one weak bridge from B to A, two replies and a self-reply."""
    return [
        post("hub", "Stage opens at six, see you all"),
        post("a1", "@hub great line-up! @a2 are you coming?"),
        post("a2", "@hub @a1 @a3 @a4 meet at the fountain"),
        post("a3", "thanks @hub, and @a4 bring the flag"),
        post("a4", "@hub who plays first?"),
        post("a1", "@hub again: what time?"),
        post("hub", "at six", reply_to="a1"),
        post("hub", "and doors at five", reply_to="hub"),  # a thread, not a link
        post("b1", "@b2 ferry queue is long"),
        post("b2", "@b3 same here"),
        post("b3", "@b4 @b1 let us walk then"),
        post("b4", "@b1 ok"),
        post("b4", "agreed", reply_to="b1"),
        post("b2", "@a4 are you at the fountain?"),  # the bridge
    ]


def test_mentions_are_parsed_from_text() -> None:
    text = "@anna-1 and @bo.b. wrote to x@y.org; @anna-1 again, @Ceci_9!"
    assert mentions(text) == ("anna-1", "bo.b", "Ceci_9")
    assert mentions("no mentions here, not even @") == ()


def test_hub_is_the_top_influencer() -> None:
    network = AuthorNetwork.from_posts(two_groups())
    top = network.influencers(3)
    assert top[0].author == "hub"
    assert top[0].score > top[1].score
    assert sum(r.score for r in network.influencers(100)) == pytest.approx(1.0)


def test_spreader_reaches_the_most_distinct_authors() -> None:
    network = AuthorNetwork.from_posts(two_groups())
    spreaders = network.spreaders(2)
    assert spreaders[0].author == "a2"
    assert spreaders[0].score == 4.0
    assert spreaders[1].score < 4.0


def test_the_two_groups_are_separate_communities() -> None:
    communities = AuthorNetwork.from_posts(two_groups()).communities()
    assert communities == [("a1", "a2", "a3", "a4", "hub"), ("b1", "b2", "b3", "b4")]


def test_replies_and_mentions_are_counted() -> None:
    network = AuthorNetwork.from_posts(two_groups())
    summary = network.summary()
    assert summary.replies == 2
    # 2 + 4 + 2 + 1 + 1 in group A, 1 + 1 + 2 + 1 in group B, 1 bridge
    assert summary.mentions == 16
    assert summary.authors == 9
    assert summary.communities == 2
    graph = network.graph
    assert graph["b4"]["b1"]["replies"] == 1
    assert graph["b4"]["b1"]["mentions"] == 1
    assert graph["b4"]["b1"]["weight"] == 2
    assert graph["a1"]["hub"]["weight"] == 2  # two posts mention it
    assert graph["hub"]["a1"] == {"weight": 1, "replies": 1}
    assert not graph.has_edge("hub", "hub")


def test_a_reply_to_an_author_who_did_not_post_is_still_a_link() -> None:
    network = AuthorNetwork.from_posts([post("p1-aaaaaaaaaaaa", "yes", reply_to="p1-bbbbbbbbbbbb")])
    assert list(network.graph.edges) == [("p1-aaaaaaaaaaaa", "p1-bbbbbbbbbbbb")]
    assert network.summary().replies == 1


def test_records_without_a_reply_field_still_give_a_mention_network() -> None:
    @dataclass(frozen=True)
    class OldPost:  # a Post as stored before reply_to existed
        identifier: str
        author: str
        text: str
        time: datetime

    network = AuthorNetwork.from_posts([OldPost("p-x", "x", "@y hi", T0)])
    assert list(network.graph.edges) == [("x", "y")]


def test_self_mentions_and_repeated_mentions_count_once() -> None:
    network = AuthorNetwork.from_posts([post("me", "@me @you @you")])
    assert network.summary().mentions == 1
    assert list(network.graph.edges) == [("me", "you")]


def test_cap_keeps_only_the_most_recent_posts() -> None:
    old = [post("old", "@ghost remember me")]
    recent = [post(f"r{i}", f"@r{i + 1} hello") for i in range(4)]
    posts = recent + old  # order of arrival must not matter, only time
    network = AuthorNetwork.from_posts(posts, max_posts=4)
    summary = network.summary()
    assert (summary.posts, summary.posts_dropped) == (4, 1)
    assert "ghost" not in network.graph and "old" not in network.graph
    assert network.graph.has_edge("r0", "r1")
    with pytest.raises(ValueError):
        AuthorNetwork.from_posts(posts, max_posts=0)


def test_results_do_not_depend_on_input_order() -> None:
    posts = two_groups()
    expected = AuthorNetwork.from_posts(posts).to_dict()
    shuffled = posts[:]
    random.Random(3).shuffle(shuffled)
    assert AuthorNetwork.from_posts(shuffled).to_dict() == expected
    assert expected["influencers"][0]["author"] == "hub"
    assert expected["summary"]["posts"] == len(posts)


def test_empty_network() -> None:
    network = AuthorNetwork.from_posts([])
    assert network.influencers() == []
    assert network.spreaders() == []
    assert network.communities() == []
    assert network.summary().authors == 0


def test_pagerank_matches_the_networkx_definition() -> None:
    reference = getattr(nx.algorithms.link_analysis.pagerank_alg, "_pagerank_python", None)
    if reference is None:
        pytest.skip("networkx no longer ships its pure-Python PageRank")
    graph = nx.gnp_random_graph(40, 0.08, seed=5, directed=True)
    rng = random.Random(5)
    for _, _, data in graph.edges(data=True):
        data["weight"] = rng.randint(1, 5)
    graph.add_node(99)  # a dangling, isolated author
    ours = pagerank(graph)
    theirs = reference(graph, weight="weight", tol=1e-12, max_iter=500)
    assert ours == pytest.approx(theirs, abs=1e-8)
