"""The timeline: what happened when, lane by lane, and the console's state at any moment."""
