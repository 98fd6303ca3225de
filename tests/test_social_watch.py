"""The social watch with the real analyzer: posts analysed, alerts raised with the post as
evidence, a named place gives the post its location, and the feed's starting picture."""

from __future__ import annotations

import threading

import pytest

from app.hub import Hub
from app.ingest import Ingest
from app.map.config import demo_site_path
from app.model import Alert, Post, Status, utc_now
from app.social.analysis import analyzer_factory
from app.social.messages import PostAnalysis, SocialSnapshot
from app.social.watch import SocialWatch
from app.storage import RecordStore
from app.terminology import default_terminology


@pytest.fixture
def store(record_store: RecordStore) -> RecordStore:
    return record_store


class Collector:
    def __init__(self) -> None:
        self.seen: list[object] = []
        self.changed = threading.Event()

    def __call__(self, batch) -> None:
        self.seen.extend(batch)
        self.changed.set()

    def wait_for(self, test, timeout_s: float = 60.0) -> list:
        deadline = threading.Event()
        timer = threading.Timer(timeout_s, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                found = [m for m in self.seen if test(m)]
                if found:
                    return found
                self.changed.wait(0.2)
                self.changed.clear()
        finally:
            timer.cancel()
        raise AssertionError("nothing matching was published")


def post(identifier: str, text: str, **changes) -> Post:
    values = dict(
        identifier=identifier,
        platform="microblog",
        author="p1-000000000001",
        text=text,
        time=utc_now(),
        status=Status.EXERCISE,
    )
    return Post(**(values | changes))


def test_threats_become_alerts_and_named_places_give_posts_a_location(store: RecordStore):
    hub = Hub()
    collected = Collector()
    kinds = (PostAnalysis, SocialSnapshot, Alert, Post)
    subscriptions = [hub.subscribe(kind, collected) for kind in kinds]
    watch = SocialWatch(
        store, Ingest(store, hub), hub, default_terminology(), analyzer_factory([demo_site_path()])
    )
    watch.start()
    try:
        collected.wait_for(lambda m: isinstance(m, SocialSnapshot))
        threat = post("x-1", "Bring knives to the Harbour stage tonight, we will attack them all")
        calm = post("x-2", "Lovely concert by the harbour, great music and friendly people")
        Ingest(store, hub).accept([threat, calm])
        analysed = collected.wait_for(
            lambda m: isinstance(m, PostAnalysis) and m.post.identifier == "x-2"
        )
        assert analysed[0].analysis["threat_score"] < 0.3
        alerts = collected.wait_for(lambda m: isinstance(m, Alert))
        assert alerts[0].event_type == "threatening_post"
        assert alerts[0].evidence[0].uri == "post:x-1" and alerts[0].status is Status.EXERCISE
        assert "knives" in alerts[0].description
        located = collected.wait_for(
            lambda m: isinstance(m, Post) and m.identifier == "x-1" and m.point is not None
        )
        assert located[0].point is not None
        assert store.get(Post, "x-1").point == located[0].point
        # Stored again with its place, the post is not analysed a second time.
        assert (
            sum(
                1
                for m in collected.seen
                if isinstance(m, PostAnalysis) and m.post.identifier == "x-1"
            )
            == 1
        )
    finally:
        watch.stop()
        for subscription in subscriptions:
            subscription.cancel()


def test_the_feed_starts_from_the_last_days_posts(store: RecordStore):
    store.save([post("old-1", "Meet at the east gate at eight", author="p1-00000000000a")])
    hub = Hub()
    collected = Collector()
    subscription = hub.subscribe(SocialSnapshot, collected)
    watch = SocialWatch(store, Ingest(store, hub), hub, default_terminology(), analyzer_factory([]))
    watch.start()
    try:
        snapshot = collected.wait_for(lambda m: isinstance(m, SocialSnapshot))[0]
    finally:
        watch.stop()
        subscription.cancel()
    assert [item.post.identifier for item in snapshot.items] == ["old-1"]
    assert snapshot.items[0].analysis["language"] == "en"
