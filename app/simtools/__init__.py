"""Simulated remote tools: real HTTP servers on 127.0.0.1 that serve the tool API exactly as a
weapon-detection, social-media, biological-risk or threat-intel tool would. The demo, the tests
and the trainer's replays drive the console through them, so nothing takes a special path."""
