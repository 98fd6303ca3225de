"""Replay of training scenarios: the simulated clock, the engine that plays a scenario into
simulated tools over REST, and the exercise service that runs one at a time."""
