"""Live video in the core: camera pipelines, what they hand the display, and their alerts."""
