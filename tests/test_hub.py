import gc
import threading
from collections.abc import Sequence

from app.hub import Hub
from app.messages import HealthState, SourceHealth
from app.model import Alert, Observation
from tests.factories import alert, one_of_each


class Recorder:
    def __init__(self) -> None:
        self.batches: list[list[object]] = []

    def __call__(self, batch: Sequence[object]) -> None:
        self.batches.append(list(batch))

    def on_batch(self, batch: Sequence[object]) -> None:
        self.batches.append(list(batch))


def test_one_publish_is_one_batch_per_subscriber_of_matching_type() -> None:
    hub, alerts, everything = Hub(), Recorder(), Recorder()
    hub.subscribe(Alert, alerts.on_batch)
    hub.subscribe(object, everything.on_batch)
    records = one_of_each()
    hub.publish_batch(records)
    assert alerts.batches == [[r for r in records if isinstance(r, Alert)]]
    assert everything.batches == [records]


def test_subscribers_are_weak_and_vanish_with_their_owner() -> None:
    hub, owner = Hub(), Recorder()
    hub.subscribe(Alert, owner.on_batch)
    assert hub.subscriber_count() == 1
    del owner
    gc.collect()
    hub.publish(alert())
    assert hub.subscriber_count() == 0


def test_cancel_stops_delivery() -> None:
    hub, recorder = Hub(), Recorder()
    subscription = hub.subscribe(Alert, recorder.on_batch)
    subscription.cancel()
    hub.publish(alert())
    assert recorder.batches == []


def test_a_failing_subscriber_does_not_starve_the_others(caplog) -> None:
    hub, good = Hub(), Recorder()

    class Broken:
        def on_batch(self, batch: Sequence[object]) -> None:
            raise RuntimeError("boom")

    broken = Broken()
    hub.subscribe(Alert, broken.on_batch)
    hub.subscribe(Alert, good.on_batch)
    hub.publish(alert())
    assert len(good.batches) == 1
    assert "boom" in caplog.text


def test_messages_without_subscribers_are_simply_dropped() -> None:
    hub, sensors = Hub(), Recorder()
    hub.subscribe(Observation, sensors.on_batch)
    hub.publish(SourceHealth("demo", "Demo", HealthState.OK))
    assert sensors.batches == []


def test_publishing_from_many_threads_delivers_everything() -> None:
    hub, recorder = Hub(), Recorder()
    lock = threading.Lock()

    def on_batch(batch: Sequence[object]) -> None:
        with lock:
            recorder.batches.append(list(batch))

    hub.subscribe(Alert, on_batch)
    threads = [
        threading.Thread(target=lambda n=n: [hub.publish(alert(f"{n}-{i}")) for i in range(200)])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    delivered = {a.identifier for batch in recorder.batches for a in batch}
    assert len(delivered) == 800
