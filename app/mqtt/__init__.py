"""Sensor observations over MQTT: one subscriber per broker, its own threads, same ingest path.

Kept out of ``app/sync`` because a broker pushes to us, whereas connectors poll tools; both end
in ``Ingest.accept`` so a reading is stored before any panel shows it.
"""
