"""Built-in sensor detectors: thresholds, rate of change, statistical change, staleness.

Each works on one sensor's series in time order, is Qt-free, and comes in two forms sharing one
implementation: a state machine (``ThresholdWatch.step``...) that a live service feeds reading by
reading, and the SDK's generator form ``run(source, params, token)``.
"""
