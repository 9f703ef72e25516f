"""Small inline SVG charts for the documents: SL-T against SL-A per FR for one zone or conduit.

Plain SVG strings (no charting library): they must look the same in a browser, in WeasyPrint's PDF and
in a screenshot, and a test can read their bars back.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from ..model.sl import FRS, SLVector

_W, _H, _PAD_L, _PAD_B, _PAD_T = 252, 96, 18, 16, 6
_STEP = (_W - _PAD_L) / len(FRS)
_UNIT = (_H - _PAD_B - _PAD_T) / 4


def _y(level: int) -> float:
    return _H - _PAD_B - level * _UNIT


def sl_chart(target: SLVector, achieved: SLVector, capability: SLVector | None = None, *, label: str = "") -> str:
    """Bars of SL-A per FR (red where below SL-T), a tick at SL-T, a dot at the least SL-C when given."""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="sl-chart" viewBox="0 0 {_W} {_H}" width="{_W}" '
             f'height="{_H}" role="img" aria-label={quoteattr(f"{label} SL-T {target} SL-A {achieved}")}>']
    for lvl in range(5):
        y = _y(lvl)
        parts.append(f'<line x1="{_PAD_L}" x2="{_W}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd" stroke-width="0.6"/>'
                     f'<text x="{_PAD_L - 4}" y="{y + 3:.1f}" font-size="8" text-anchor="end" fill="#666">{lvl}</text>')
    for i, fr in enumerate(FRS):
        x = _PAD_L + i * _STEP
        t, a = target[fr], achieved[fr]
        short = a < t
        colour = "#c62828" if short else "#2e7d32"
        bar_w = _STEP * 0.5
        bx = x + (_STEP - bar_w) / 2
        parts.append(f'<rect class="sl-a{" short" if short else ""}" data-fr="{fr}" data-level="{a}" x="{bx:.1f}" '
                     f'y="{_y(a):.1f}" width="{bar_w:.1f}" height="{a * _UNIT:.1f}" fill="{colour}" opacity="0.85">'
                     f'<title>{fr}: SL-A {a}, SL-T {t}</title></rect>')
        parts.append(f'<line class="sl-t" data-fr="{fr}" data-level="{t}" x1="{x + 3:.1f}" x2="{x + _STEP - 3:.1f}" '
                     f'y1="{_y(t):.1f}" y2="{_y(t):.1f}" stroke="#111" stroke-width="2"/>')
        if capability is not None:
            parts.append(f'<circle class="sl-c" data-fr="{fr}" cx="{x + _STEP / 2:.1f}" cy="{_y(capability[fr]):.1f}" '
                         f'r="2.2" fill="#1565c0"/>')
        parts.append(f'<text x="{x + _STEP / 2:.1f}" y="{_H - 4}" font-size="8" text-anchor="middle" '
                     f'fill="#333">{escape(fr)}</text>')
    parts.append("</svg>")
    return "".join(parts)
