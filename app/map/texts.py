"""Everything the map page says, in the operator's language.

The page's script looks each text up by its English message id (``t("Zones")``), so the
catalogs hold one entry per text and the page never translates anything itself. Names of base
layers and site layers travel as ``base:<id>`` and ``site:<id>``.
"""

from __future__ import annotations

from app.map.config import DEMO_SITE_ID, EMBEDDED_BASEMAP_ID, MapConfig
from app.map.served import PageTexts
from i18n import N_, current_language, gettext, is_rtl

PAGE_MESSAGES = (
    N_("Alerts"),
    N_("Detections"),
    N_("Tracks"),
    N_("Located posts"),
    N_("Cameras"),
    N_("Sensors"),
    N_("Zones"),
    N_("EXERCISE"),
    N_("Follow"),
    N_("Stop following"),
    N_("Measure distance"),
    N_("Click points on the map to measure"),
    N_("{value} m"),
    N_("{value} km"),
    N_("Click to place the first corner"),
    N_("Click to continue drawing"),
    N_("Click the first corner to finish"),
    N_("Click to finish"),
    N_("Finish"),
    N_("Cancel"),
    N_("Remove last corner"),
    N_("Draw a zone"),
    N_("Draw a rectangular zone"),
    N_("Edit zones"),
    N_("Delete a zone"),
)
LAYER_NAMES = {
    f"base:{EMBEDDED_BASEMAP_ID}": N_("World (OpenStreetMap)"),
    f"site:{DEMO_SITE_ID}": N_("Demo site"),
}


def page_texts(config: MapConfig) -> PageTexts:
    language = current_language()
    strings = {message: gettext(message) for message in PAGE_MESSAGES}
    strings.update({key: gettext(message) for key, message in LAYER_NAMES.items()})
    return PageTexts(strings=strings, rtl=is_rtl(language), language=language)
