"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.11 leaked one reference to ``None`` per call of any method that
returns nothing; a console running for a shift then crashed ("deallocating None"). The
project pins a version without the defect; this test fails if an upgrade brings it back.
"""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QLabel

CALLS = 2000


def test_void_calls_keep_the_reference_counts_of_none_and_booleans(qapp) -> None:
    label, box, timer = QLabel(), QComboBox(), QTimer()
    box.addItems(["a", "b"])
    before = [sys.getrefcount(v) for v in (None, True, False)]
    for _ in range(CALLS):
        label.setText("x")
        box.setCurrentIndex(1)
        label.setVisible(False)
        timer.setInterval(5)
    after = [sys.getrefcount(v) for v in (None, True, False)]
    drift = [a - b for a, b in zip(after, before, strict=True)]
    assert all(abs(d) < CALLS // 10 for d in drift), f"reference counts drifted by {drift}"
