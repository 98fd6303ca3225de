"""A very small SVG writer: elements as escaped strings, nothing else.

Charts and the map snapshot are drawn as inline SVG so the HTML report needs no script and the
PDF keeps vector lines and real text. Every attribute value and every text goes through
``escape``: sensor names, zone names and headlines come from outside the control room.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

FONT = "DejaVu Sans, sans-serif"


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if value == value else "0"
    return str(value)


def attrs(**values: object) -> str:
    """``key="value"`` pairs; ``_`` in a name becomes ``-`` (``font_size`` → ``font-size``),
    a trailing ``_`` is dropped (``class_``), ``None`` values are left out."""
    parts = []
    for name, value in values.items():
        if value is None:
            continue
        key = name.rstrip("_").replace("_", "-")
        parts.append(f'{key}="{escape(_value(value), quote=True)}"')
    return " ".join(parts)


def el(tag: str, text: str | None = None, **values: object) -> str:
    """One element; ``text`` is escaped (use ``group`` for children)."""
    if text is None:
        return f"<{tag} {attrs(**values)}/>"
    return f"<{tag} {attrs(**values)}>{escape(text, quote=False)}</{tag}>"


def group(children: list[str], **values: object) -> str:
    return f"<g {attrs(**values)}>{''.join(children)}</g>"


def text(x: float, y: float, content: str, size: float = 9, **values: object) -> str:
    values.setdefault("fill", "#222")
    return el("text", content, x=x, y=y, font_size=size, font_family=FONT, **values)


def points(coords: list[tuple[float, float]]) -> str:
    return " ".join(f"{_value(x)},{_value(y)}" for x, y in coords)


def document(width: int, height: int, children: list[str], label: str = "") -> Markup:
    """A complete ``<svg>`` for inline use. Charts keep left-to-right axes in every language
    (time runs to the right), so ``direction`` is fixed here, not inherited from the page."""
    head = attrs(
        xmlns="http://www.w3.org/2000/svg",
        width=width,
        height=height,
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_label=label or None,
        direction="ltr",
    )
    return Markup(f"<svg {head}>{''.join(children)}</svg>")
