"""Sensor series: detection on live observations, and the buffers the charts draw from."""
