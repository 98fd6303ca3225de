"""The social feed panel: analysed posts with scores, highlighted terms drawn as text,
filters, right-to-left posts, and a double-click that shows a located post on the map."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.messages import Selection
from app.model import GeoPoint, Post, Status, utc_now
from widgets.qt_post_delegate import highlight_ranges, text_direction
from widgets.qt_social_model import COLUMN, ITEM_ROLE

THREAT = "Bring knives to the east gate tonight <script>alert(1)</script> we will attack"


def post(identifier: str, text: str, **changes) -> Post:
    values = dict(
        identifier=identifier,
        platform="microblog",
        author="@someone_real",
        text=text,
        time=utc_now(),
        status=Status.EXERCISE,
    )
    return Post(**(values | changes))


def rows(panel) -> list:
    proxy = panel.proxy
    return [proxy.index(r, 0).data(ITEM_ROLE) for r in range(proxy.rowCount())]


def test_posts_are_analysed_and_listed_with_pseudonyms_scores_and_highlights(console, qtbot):
    console.core.start()
    panel = console.window.panels["social"]
    console.core.ingest.accept(
        [post("s-1", THREAT), post("s-2", "Beautiful evening at the harbour festival")]
    )
    qtbot.waitUntil(lambda: len(rows(panel)) == 2, timeout=60_000)
    by_id = {item.post.identifier: item for item in rows(panel)}
    threat = by_id["s-1"]
    assert threat.post.author.startswith("p") and "someone_real" not in threat.post.author
    assert threat.analysis["threat_score"] > by_id["s-2"].analysis["threat_score"]
    text_index = panel.proxy.index(rows(panel).index(threat), COLUMN["text"])
    assert text_index.data() == THREAT  # the script tag is text, shown as typed
    spans = [
        THREAT[r.start : r.start + r.length] for r in highlight_ranges(threat.analysis, len(THREAT))
    ]
    assert "knives" in spans


def test_filters_by_language_score_and_words(console, qtbot):
    console.core.start()
    panel = console.window.panels["social"]
    console.core.ingest.accept(
        [
            post("f-1", THREAT),
            post("f-2", "Tutto tranquillo al concerto sul porto stasera, bellissima serata"),
        ]
    )
    qtbot.waitUntil(lambda: len(rows(panel)) == 2, timeout=60_000)
    panel.language.setCurrentIndex(panel.language.findData("it"))
    assert [i.post.identifier for i in rows(panel)] == ["f-2"]
    panel.language.setCurrentIndex(panel.language.findData(""))
    panel.score.setCurrentIndex(panel.score.findData(0.6))
    assert [i.post.identifier for i in rows(panel)] == ["f-1"]
    panel.score.setCurrentIndex(panel.score.findData(0.0))
    panel.search.setText("CONCERTO")
    assert [i.post.identifier for i in rows(panel)] == ["f-2"]


def test_arabic_posts_read_right_to_left_whatever_the_console_language():
    assert text_direction("سنأتي بالسكاكين إلى البوابة الشرقية") == Qt.LayoutDirection.RightToLeft
    assert text_direction("#tonight سنأتي") == Qt.LayoutDirection.LeftToRight  # first strong
    assert text_direction("\u202e\u200b123 knives") == Qt.LayoutDirection.LeftToRight


def test_double_clicking_a_located_post_shows_it_on_the_map(console, qtbot):
    console.core.start()
    panel = console.window.panels["social"]
    seen: list[Selection] = []

    def collect(batch) -> None:  # kept alive by this frame: the hub holds subscribers weakly
        seen.extend(batch)

    subscription = console.bridge.gui_hub.subscribe(Selection, collect)
    console.core.ingest.accept([post("m-1", THREAT, point=GeoPoint(59.9112, 10.7348))])
    qtbot.waitUntil(lambda: len(rows(panel)) == 1, timeout=60_000)
    panel.table.doubleClicked.emit(panel.proxy.index(0, COLUMN["text"]))
    qtbot.waitUntil(lambda: any(s.kind == "post" and s.identifier == "m-1" for s in seen))
    subscription.cancel()


def test_the_author_network_names_who_drives_the_conversation(console, qtbot):
    console.core.start()
    panel = console.window.panels["social"]
    hub_post = post("n-0", "Everyone meet at the east gate", author="@organiser")
    replies = [
        post(f"n-{n}", f"@organiser count me in, see you there #{n}", author=f"@fan{n}")
        for n in range(1, 6)
    ]
    console.core.ingest.accept([hub_post, *replies])
    qtbot.waitUntil(lambda: bool(panel.network.network), timeout=60_000)
    top = panel.network.network["influencers"][0]["author"]
    stored = console.core.store.get(Post, "n-0")
    assert top == stored.author and "organiser" not in top  # a pseudonym, never the handle
