"""Child process for the start-up and memory benchmarks: opens the console offscreen, reports
when the window is first shown and, after idling, its resident memory; then quits."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(idle_s: float) -> None:
    import psutil
    from PySide6.QtCore import QTimer

    from app.settings import Settings
    from bench.desk import signed_in_console
    from widgets.application import create_application
    from widgets.layouts import LayoutStore

    app = create_application()
    scratch = Path(tempfile.mkdtemp(prefix="watchfloor-bench-"))
    settings = Settings(database_url=f"sqlite:///{scratch / 'bench.db'}")
    console = signed_in_console(app, settings, LayoutStore(scratch))
    console.window.resize(1600, 900)
    console.window.show()
    console.core.start()

    def shown() -> None:
        print("shown", flush=True)

    def idle_done() -> None:
        print(f"rss {psutil.Process().memory_info().rss}", flush=True)
        console.window.close()

    QTimer.singleShot(0, shown)
    QTimer.singleShot(int(idle_s * 1000), idle_done)
    app.exec()
    console.shutdown()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0)
