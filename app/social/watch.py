"""The social-media watch: every stored post is analysed on its own thread.

Posts arrive on the hub after ingest (authors already pseudonymised). The watch analyses each
once, publishes the result for the feed, raises an alert with the post as evidence when the
threat or hate score is high, and gives a post that names a known place that place's location
(stored again, so the map shows it). At start it analyses the last day's posts for the feed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from app.hub import Hub
from app.ingest import Ingest
from app.model import GeoPoint, Post, utc_now
from app.social.alerting import alerts_for
from app.social.messages import AuthorNetworkView, PostAnalysis, SocialSnapshot
from app.social.network import AuthorNetwork
from app.storage import RecordStore, StorageError
from app.terminology import Terminology

log = logging.getLogger(__name__)

SNAPSHOT_WINDOW = timedelta(hours=24)
SNAPSHOT_POSTS = 5_000
REMEMBERED = 20_000  # posts already analysed (a re-delivery is not analysed twice)
NETWORK_POSTS = 50_000  # the author network is drawn from this many recent posts
NETWORK_EVERY_S = 15.0


class SocialWatch:
    def __init__(
        self,
        store: RecordStore,
        ingest: Ingest,
        hub: Hub,
        terms: Terminology,
        analyzer_factory: Any,
    ) -> None:
        self.store = store
        self.ingest = ingest
        self.hub = hub
        self.terms = terms
        self._factory = analyzer_factory
        self._analyzer: Any = None
        self._seen: OrderedDict[str, str] = OrderedDict()
        self._recent: deque[Post] = deque(maxlen=NETWORK_POSTS)
        self._network_due = False
        self._jobs: queue.Queue[tuple[Post, ...] | None] = queue.Queue()
        self._subscription = hub.subscribe(Post, self._on_posts)
        self._thread = threading.Thread(target=self._run, name="social-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._subscription.cancel()
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(10)

    def _on_posts(self, batch: Sequence[Post]) -> None:
        self._jobs.put(tuple(batch))

    def _run(self) -> None:
        try:
            self._analyzer = self._factory()  # loads language models: off every other thread
        except Exception:
            log.exception("The text analyzer could not be built; posts are not analysed")
            return
        self._publish_snapshot()
        next_network = 0.0
        while True:
            try:
                batch = self._jobs.get(timeout=NETWORK_EVERY_S)
            except queue.Empty:
                batch = ()
            if batch is None:
                return
            results = [item for post in batch if (item := self._analyse(post)) is not None]
            if results:
                self.hub.publish_batch(results)
                self._raise(results)
            if self._network_due and time.monotonic() >= next_network:
                next_network = time.monotonic() + NETWORK_EVERY_S
                self._publish_network()

    def _analyse(self, post: Post) -> PostAnalysis | None:
        if self._seen.get(post.identifier) == post.text:
            return None  # already analysed (e.g. stored again with the location found)
        self._seen[post.identifier] = post.text
        self._recent.append(post)
        self._network_due = True
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        try:
            analysis = self._analyzer.analyze(post.text, post.language).to_dict()
        except Exception:
            log.exception("Post %s could not be analysed", post.identifier)
            return None
        return PostAnalysis(post, analysis)

    def _publish_network(self) -> None:
        self._network_due = False
        try:
            network = AuthorNetwork.from_posts(self._recent, max_posts=NETWORK_POSTS)
            self.hub.publish(AuthorNetworkView(network.to_dict()))
        except Exception:
            log.exception("The author network could not be computed")

    def _raise(self, results: Sequence[PostAnalysis]) -> None:
        records: list[Any] = []
        for item in results:
            records += alerts_for(item, self.terms)
            located = _with_place(item)
            if located is not None:
                records.append(located)
        if not records:
            return
        try:
            self.ingest.accept(records)
        except StorageError as exc:
            log.error("Alerts from posts could not be stored: %s", exc)

    def _publish_snapshot(self) -> None:
        try:
            since = utc_now() - SNAPSHOT_WINDOW
            posts = [p for p in self.store.latest(Post, SNAPSHOT_POSTS) if p.time >= since]
        except StorageError as exc:
            log.error("Cannot load the social feed: %s", exc)
            return
        items = [item for post in reversed(posts) if (item := self._analyse(post)) is not None]
        self.hub.publish(SocialSnapshot(tuple(items)))
        if self._network_due:
            self._publish_network()


def _with_place(item: PostAnalysis) -> Post | None:
    """The post with the location of the first place it names, if it had none."""
    places = item.analysis.get("places") or []
    if item.post.point is not None or not places:
        return None
    place = places[0]
    try:
        point = GeoPoint(float(place["lat"]), float(place["lon"]))
    except (KeyError, TypeError, ValueError):
        return None
    return replace(item.post, point=point)
