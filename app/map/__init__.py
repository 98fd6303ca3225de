"""Everything the map needs that is not Qt: tiles, site layers, the page, and map objects.

The map panel (``widgets/qt_map.py``) only shows what this package prepares, so the page can be
generated, served and checked for remote addresses without a display.
"""
