"""Video detectors: frames in, ``Detection`` records out (OpenCV and ultralytics, never Qt)."""
