"""The zone-and-conduit diagram (design §6): one standalone, deterministic SVG in the Purdue convention.

Our own layout, stdlib only, so that the HTML report, its PDF and a screenshot show the same picture:
1. rows: one band per Purdue level, enterprise on top; when a band would be too wide for a landscape
   picture, every band is cut into parts and the parts are stacked like the systems of a music score;
2. order: barycentre sweeps over the conduit graph put linked zones near one another (ties by id);
3. routes: conduits run only in the channels between rows and the corridors between boxes, each on a
   track or lane of its own, so no conduit crosses a zone box or lies on another conduit;
4. drawing: presentation attributes only (no CSS, fonts, images or scripts), a stable id and a
   `<title>` tooltip on every zone, conduit and band. Above `compact_over` zones, zones become tiles.
"""

from __future__ import annotations

import bisect
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr

from ..analysis.assess import Assessment
from ..analysis.gaps import Gap
from ..model.plant import Plant
from ..model.sl import SLVector
from ..model.source import paused_gc

FONT = "DejaVu Sans, Arial, sans-serif"
MONO = "DejaVu Sans Mono, Menlo, Consolas, monospace"
OPEN = ("open", "in-progress")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
COLOURS = {  # status -> (stroke, fill)
    "red": ("#c62828", "#fdecea"), "amber": ("#b26a00", "#fff4e0"),
    "green": ("#2e7d32", "#e8f5e9"), "unknown": ("#757575", "#f5f5f5"), "external": ("#546e7a", "#eceff1"),
}
STATUS_TEXT = {"red": "open high or critical gaps", "amber": "open medium or low gaps only",
               "green": "no open gap", "unknown": "not assessed",
               "external": "outside the system under consideration: entry point, no SL or gaps"}
OUTSIDE = "outside the SuC"
LEVEL_NAMES = {5.0: "Internet", 4.5: "Enterprise edge", 4.0: "Enterprise", 3.5: "DMZ", 3.0: "Operations",
               2.5: "Area boundary", 2.0: "Supervisory", 1.5: "Cell boundary", 1.0: "Control",
               0.5: "Field boundary", 0.0: "Process"}
GLYPH_OF_KIND = {
    "firewall": "filter", "router_acl": "filter", "data_diode": "oneway", "unidirectional_gateway": "oneway",
    "ids": "monitor", "monitoring": "monitor", "siem": "monitor", "log_collection": "monitor",
    "jump_host": "access", "remote_access_gateway": "access", "privileged_access_management": "access",
    "mfa": "access", "vpn": "crypto", "encryption": "crypto",
}
GLYPH_TEXT = {"filter": "firewall or ACL", "oneway": "data diode / unidirectional gateway",
              "monitor": "IDS / monitoring", "access": "jump host / remote access gateway",
              "crypto": "VPN / encryption", "other": "other countermeasure"}
MARGIN, LABEL_W, TITLE_H, RATIO, LEGEND_COL = 20.0, 118.0, 52.0, 1.6, 460.0
PILL_H, ICON = 26.0, 14.0


# -- text ----------------------------------------------------------------------------------------


def text_width(text: str, size: float, bold: bool = False, mono: bool = False) -> float:
    """Estimated width in px: no font metrics at hand, so classes of DejaVu Sans widths, erring wide."""
    if mono:
        return len(text) * 0.61 * size
    w = 0.0
    for ch in text:
        if ch in "ijlI.,:;'|! ()[]ft-":
            w += 0.38
        elif ch in "mwMW@%":
            w += 0.95
        elif ch.isupper() or ch.isdigit():
            w += 0.72
        else:
            w += 0.62
    return w * size * (1.1 if bold else 1.0)


def fit(text: str, width: float, size: float, bold: bool = False, mono: bool = False) -> str:
    """The text, cut with an ellipsis so that it fits `width` (the full text stays in the tooltip)."""
    if text_width(text, size, bold, mono) <= width:
        return text
    while text and text_width(text + "…", size, bold, mono) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def num(v: float) -> str:
    """A coordinate as short, stable text."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def svg_text(x: float, y: float, text: str, size: float, *, fill: str = "#212121", bold: bool = False,
             anchor: str = "start", mono: bool = False, italic: bool = False) -> str:
    extra = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
    extra += f' text-anchor="{anchor}"' if anchor != "start" else ""
    extra += f' font-family="{MONO}"' if mono else ""
    return f'<text x="{num(x)}" y="{num(y)}" font-size="{num(size)}" fill="{fill}"{extra}>{escape(text)}</text>'


def sl_tspans(achieved: SLVector | None, target: SLVector | None, sep: str = " ") -> str:
    """SL-A digits, those below SL-T in red bold: the per-FR shortfall at a glance."""
    if achieved is None:
        return "?"
    out = []
    for i, a in enumerate(achieved):
        short = target is not None and a < target[i]
        out.append(f'<tspan fill="#c62828" font-weight="bold">{a}</tspan>' if short else str(a))
    return sep.join(out)


def plain_sl(vec: SLVector | None, sep: str = " ") -> str:
    return "?" if vec is None else sep.join(str(v) for v in vec)


# -- what the picture says -----------------------------------------------------------------------


def status_of(gaps: list[Gap] | None) -> str:
    """red: an open high/critical gap; amber: other open gaps only; green: none open."""
    if gaps is None:
        return "unknown"
    open_sev = {g.severity for g in gaps if g.status in OPEN}
    return "red" if open_sev & {"high", "critical"} else "amber" if open_sev else "green"


def open_gap_text(gaps: list[Gap] | None) -> str:
    if gaps is None:
        return "open gaps: not assessed"
    counts = Counter(g.severity for g in gaps if g.status in OPEN)
    detail = ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s])
    return f"open gaps: {sum(counts.values())}" + (f" ({detail})" if detail else "")


def level_label(level: float) -> tuple[str, str]:
    return f"L{level:g}", LEVEL_NAMES.get(level, "")


def conduit_protocols(plant: Plant, cid: str) -> list[str]:
    """What crosses, in rule order, without repeats: the protocol, or the ports of a port-only rule."""
    seen: dict[str, None] = {}
    for rule in plant.conduits[cid].flows:
        seen.setdefault(rule.protocol or "port " + ",".join(str(p) for p in rule.ports), None)
    return list(seen)


def conduit_countermeasures(plant: Plant) -> dict[str, list[str]]:
    """Per conduit, its own list, then any countermeasure placed on it that the list forgot."""
    out = {cid: [c for c in con.countermeasures if c in plant.countermeasures] for cid, con in plant.conduits.items()}
    for k in sorted(plant.countermeasures):
        cid = plant.countermeasures[k].at.conduit
        if cid in out and k not in out[cid]:
            out[cid].append(k)
    return out


# -- layout ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """Sizes of a drawing mode: detailed boxes with labelled conduits, or compact tiles with thin ones."""

    compact: bool
    gap: float  # least corridor between two boxes of a row
    row_pad: float  # space above and below the boxes of a row
    channel_pad: float  # space above the first and below the last track of a channel
    track: float  # distance between two horizontal tracks
    lane: float  # distance between two vertical lanes of a corridor
    min_channel: float


DETAILED = Metrics(False, gap=48, row_pad=10, channel_pad=8, track=32, lane=12, min_channel=30)
COMPACT = Metrics(True, gap=12, row_pad=5, channel_pad=5, track=3, lane=3, min_channel=14)
TILE_W, TILE_H = 100.0, 34.0


@dataclass
class Row:
    level: float
    part: int
    zones: list[str]


@dataclass
class Route:
    """One conduit's way from the zone in the earlier row (`upper`) to the other: hops through corridors."""

    cid: str
    upper: str
    lower: str
    corridors: list[tuple[int, int]] = field(default_factory=list)  # (row, gap) of every row passed
    lanes: list[float] = field(default_factory=list)
    hsegs: list[tuple[int, float, float]] = field(default_factory=list)  # (channel, x from, x to)
    tracks: list[int] = field(default_factory=list)
    label_seg: int = 0
    points: list[tuple[float, float]] = field(default_factory=list)


def order_zones(plant: Plant, levels: list[float], sweeps: int = 8) -> dict[float, list[str]]:
    """Zones of each level in an order with few crossings: barycentre sweeps down and up, ties by id."""
    bands = {lv: sorted(z for z, zone in plant.zones.items() if zone.level == lv) for lv in levels}
    nbrs: dict[str, list[str]] = defaultdict(list)
    for cid in sorted(plant.conduits):
        a, b = plant.conduits[cid].zones
        if a in plant.zones and b in plant.zones:
            nbrs[a].append(b)
            nbrs[b].append(a)
    pos = {z: (i + 0.5) / len(zs) for zs in bands.values() for i, z in enumerate(zs)}
    for sweep in range(sweeps):
        for lv in levels if sweep % 2 == 0 else levels[::-1]:
            key = {z: sum(pos[n] for n in nbrs[z]) / len(nbrs[z]) if nbrs[z] else pos[z] for z in bands[lv]}
            bands[lv].sort(key=lambda z: (key[z], z))
            pos.update({z: (i + 0.5) / len(bands[lv]) for i, z in enumerate(bands[lv])})
    return bands


def make_rows(bands: dict[float, list[str]], levels: list[float], parts: int) -> list[Row]:
    """Each band cut into `parts` runs at the same relative places; rows in score order (part, level)."""
    rows = []
    for part in range(parts):
        for lv in levels:
            zs = bands[lv]
            run = [z for i, z in enumerate(zs) if i * parts // len(zs) == part]
            if run:
                rows.append(Row(lv, part, run))
    return rows


class Layout:
    """Positions of boxes, corridors, channels and conduit routes for a given list of rows."""

    def __init__(self, rows: list[Row], sizes: dict[str, tuple[float, float]], links: list[tuple[str, str, str]],
                 m: Metrics, pill_w: dict[str, float]) -> None:
        self.rows, self.sizes, self.m, self.pill_w = rows, sizes, m, pill_w
        self.row_of = {z: r for r, row in enumerate(rows) for z in row.zones}
        self.x: dict[str, float] = {}
        self.gaps: dict[tuple[int, int], tuple[float, float]] = {}
        use = self.route_corridors(links)
        self.place_columns(use)
        self.assign_lanes_and_ports()
        self.assign_tracks()
        self.place_rows()
        self.trace_points()
        if not m.compact:
            self.slide_labels()

    # x: boxes and corridors
    def place_columns(self, use: Counter[tuple[int, int]]) -> None:
        widths = [sum(self.gap_width(use, r, g) for g in range(len(row.zones) + 1))
                  + sum(self.sizes[z][0] for z in row.zones) for r, row in enumerate(self.rows)]
        self.inner = max([*widths, LEGEND_COL - LABEL_W])  # at least as wide as a legend column
        for r, row in enumerate(self.rows):
            # detailed rows are centred; compact rows spread over the width, so that zones at the same
            # relative place of their bands (the order puts linked zones there) stand above one another
            spare = self.inner - widths[r]
            n = len(row.zones)
            x = MARGIN + LABEL_W + (spare / (2 * n) if self.m.compact else spare / 2)
            for g in range(n + 1):
                gw = self.gap_width(use, r, g) + (spare / n if self.m.compact and 0 < g < n else 0)
                self.gaps[r, g] = (x, x + gw)
                x += gw
                if g < len(row.zones):
                    self.x[row.zones[g]] = x
                    x += self.sizes[row.zones[g]][0]
        self.width = MARGIN + LABEL_W + self.inner + MARGIN

    def gap_width(self, use: Counter[tuple[int, int]], r: int, g: int) -> float:
        return max(self.m.gap, (use[r, g] + 1) * self.m.lane)

    def centre(self, z: str) -> float:
        return self.x[z] + self.sizes[z][0] / 2

    def route_corridors(self, links: list[tuple[str, str, str]]) -> Counter[tuple[int, int]]:
        """Pick, for every row a conduit passes, the corridor nearest its straight path, sparing busy ones."""
        self.place_columns(Counter())
        self.routes: list[Route] = []
        use: Counter[tuple[int, int]] = Counter()
        penalty = 3 * self.m.lane if self.m.compact else 40.0
        for cid, a, b in links:
            if (self.row_of[a], self.x[a]) > (self.row_of[b], self.x[b]):
                a, b = b, a
            route = Route(cid, a, b)
            ra, rb = self.row_of[a], self.row_of[b]
            xa, xb = self.centre(a), self.centre(b)
            for r in range(ra + 1, rb):
                want = xa + (xb - xa) * (r - ra) / (rb - ra)
                n = len(self.rows[r].zones) + 1
                mids = [(self.gaps[r, g][0] + self.gaps[r, g][1]) / 2 for g in range(n)]
                near = bisect.bisect_left(mids, want)
                g = min(range(max(0, near - 3), min(n, near + 3)),
                        key=lambda g: (abs(mids[g] - want) + penalty * use[r, g], g))
                use[r, g] += 1
                route.corridors.append((r, g))
            self.routes.append(route)
        return use

    def assign_lanes_and_ports(self) -> None:
        """Lanes in each corridor and ports on each box edge, ordered by where the conduit heads."""
        in_gap: dict[tuple[int, int], list[tuple[float, str, tuple[int, int]]]] = defaultdict(list)
        for i, rt in enumerate(self.routes):
            mid = (self.centre(rt.upper) + self.centre(rt.lower)) / 2
            for k, rg in enumerate(rt.corridors):
                in_gap[rg].append((mid, rt.cid, (i, k)))
        lane_x: dict[tuple[int, int], float] = {}
        for rg, items in in_gap.items():
            lo, hi = self.gaps[rg]
            items.sort()
            start = (lo + hi) / 2 - (len(items) - 1) * self.m.lane / 2
            for k, (_, _, key) in enumerate(items):
                lane_x[key] = start + k * self.m.lane
        ports: dict[tuple[str, str], list[tuple[float, str, tuple[int, int]]]] = defaultdict(list)
        for i, rt in enumerate(self.routes):
            rt.lanes = [lane_x[i, k] for k in range(len(rt.corridors))]
            same = self.row_of[rt.upper] == self.row_of[rt.lower]
            first = rt.lanes[0] if rt.lanes else self.centre(rt.lower)
            last = rt.lanes[-1] if rt.lanes else self.centre(rt.upper)
            ports[rt.upper, "top" if same else "bottom"].append((first, rt.cid, (i, 0)))
            ports[rt.lower, "top"].append((last, rt.cid, (i, 1)))
        self.port_x: dict[tuple[int, int], float] = {}  # (route, 0 for its upper end or 1 for its lower)
        self.port_edge: dict[tuple[int, int], str] = {}
        for (z, edge), items in ports.items():
            items.sort()
            w = self.sizes[z][0]
            for k, (_, _, key) in enumerate(items):
                self.port_x[key] = self.x[z] + w * (k + 1) / (len(items) + 1)
                self.port_edge[key] = edge
        for i, rt in enumerate(self.routes):
            xs = [self.port_x[i, 0], *rt.lanes, self.port_x[i, 1]]
            ra = self.row_of[rt.upper]
            channels = [ra] if self.row_of[rt.lower] == ra else list(range(ra + 1, self.row_of[rt.lower] + 1))
            rt.hsegs = [(c, xs[k], xs[k + 1]) for k, c in enumerate(channels)]
            rt.label_seg = max(range(len(rt.hsegs)), key=lambda k: (abs(rt.hsegs[k][2] - rt.hsegs[k][1]), -k))

    def label_mid(self, lo: float, hi: float, half: float) -> float:
        """The middle of a segment, moved inwards when a label there would stick out of the picture."""
        left = MARGIN + LABEL_W
        return min(max((lo + hi) / 2, left + half), left + self.inner - half)

    def assign_tracks(self) -> None:
        """Tracks per channel: segments whose spans overlap never share one; a label reserves its width."""
        per_channel: dict[int, list[Segment]] = defaultdict(list)
        pad = self.m.lane / 2 if self.m.compact else 8.0
        for i, rt in enumerate(self.routes):
            rt.tracks = [0] * len(rt.hsegs)
            same_row = self.row_of[rt.upper] == self.row_of[rt.lower]
            for k, (c, x1, x2) in enumerate(rt.hsegs):
                lo, hi = min(x1, x2), max(x1, x2)
                label = None
                if not self.m.compact and k == rt.label_seg:
                    half = self.pill_w[rt.cid] / 2 + 3
                    mid = self.label_mid(lo, hi, half)
                    label = (mid - half, mid + half)
                    lo, hi = min(lo, mid - half), max(hi, mid + half)
                per_channel[c].append(Segment(lo - pad, hi + pad, i, k, x1, x2, same_row, label))
        self.n_tracks: Counter[int] = Counter()
        for c, segs in per_channel.items():
            for s, t in (pack_tracks(segs) if self.m.compact else pack_tracks_under_labels(segs)).items():
                self.routes[s.route].tracks[s.k] = t
                self.n_tracks[c] = max(self.n_tracks[c], t + 1)

    # y: channels and rows
    def place_rows(self) -> None:
        """Channels as tall as their tracks need, rows as tall as their tallest box."""
        m = self.m
        self.channel_top: list[float] = []
        self.row_top: list[float] = []
        self.row_h: list[float] = []
        y = TITLE_H
        for r, row in enumerate(self.rows):
            self.channel_top.append(y)
            y += max(m.min_channel, 2 * m.channel_pad + self.n_tracks[r] * m.track)
            self.row_top.append(y)
            self.row_h.append(max(self.sizes[z][1] for z in row.zones) + 2 * m.row_pad)
            y += self.row_h[-1]
        self.bottom = y

    def box(self, z: str) -> tuple[float, float, float, float]:
        w, h = self.sizes[z]
        return self.x[z], self.row_top[self.row_of[z]] + self.m.row_pad, w, h

    def track_y(self, channel: int, track: int) -> float:
        return self.channel_top[channel] + self.m.channel_pad + (track + 0.5) * self.m.track

    def trace_points(self) -> None:
        """Each route as a polyline: port, down or up to a track, along it, down a lane, ..., port."""
        for i, rt in enumerate(self.routes):
            _, ya, _, ha = self.box(rt.upper)
            start_y = ya if self.port_edge[i, 0] == "top" else ya + ha
            pts = [(self.port_x[i, 0], start_y)]
            for (c, x1, x2), t in zip(rt.hsegs, rt.tracks, strict=True):
                pts += [(x1, self.track_y(c, t)), (x2, self.track_y(c, t))]
            pts.append((self.port_x[i, 1], self.box(rt.lower)[1]))
            rt.points = simplify(pts)

    def slide_labels(self) -> None:
        """Move each label along its segment to where the fewest other conduits' verticals pass behind it."""
        verticals = [(p[0], min(p[1], q[1]), max(p[1], q[1])) for rt in self.routes
                     for p, q in zip(rt.points, rt.points[1:], strict=False) if p[0] == q[0]]
        self.label_at: dict[str, tuple[float, float]] = {}
        for rt in self.routes:
            c, x1, x2 = rt.hsegs[rt.label_seg]
            y = self.track_y(c, rt.tracks[rt.label_seg])
            lo, hi, pw = min(x1, x2), max(x1, x2), self.pill_w[rt.cid]
            mid = self.label_mid(lo, hi, pw / 2 + 3)
            near = [v for v in verticals if v[1] < y + PILL_H / 2 and v[2] > y - PILL_H / 2]
            cands = [mid + d for d in range(-int(hi - lo), int(hi - lo) + 1, 4)
                     if lo + pw / 2 + 6 <= mid + d <= hi - pw / 2 - 6] or [mid]
            best = min(cands, key=lambda cx: (sum(abs(v[0] - cx) < pw / 2 + 3 for v in near), abs(cx - mid)))
            self.label_at[rt.cid] = (best, y)


@dataclass(frozen=True)
class Segment:
    """A horizontal piece of a route in one channel: its span (with room for its label) and its ends."""

    lo: float
    hi: float
    route: int
    k: int
    x_from: float
    x_to: float
    same_row: bool  # both ends go down to boxes of the row below the channel
    label: tuple[float, float] | None

    @property
    def ups(self) -> tuple[float, ...]:
        """Where a vertical leaves the track upwards."""
        return () if self.same_row else (self.x_from,)

    @property
    def downs(self) -> tuple[float, ...]:
        return (self.x_from, self.x_to) if self.same_row else (self.x_to,)


def pack_tracks(segs: list[Segment]) -> dict[Segment, int]:
    """Greedy interval colouring (by left end): the fewest tracks with no two overlapping spans on one."""
    tracks: dict[Segment, int] = {}
    active: list[tuple[float, int]] = []
    free: list[int] = []
    used = 0
    for s in sorted(segs, key=lambda s: (s.lo, s.hi, s.route, s.k)):
        while active and active[0][0] < s.lo:
            heapq.heappush(free, heapq.heappop(active)[1])
        t = heapq.heappop(free) if free else used
        used = max(used, t + 1)
        heapq.heappush(active, (s.hi, t))
        tracks[s] = t
    return tracks


def pack_tracks_under_labels(segs: list[Segment]) -> dict[Segment, int]:
    """Like `pack_tracks`, but a segment whose vertical would pass behind another's label goes on the side
    of that label where its vertical stops short of it (a topological order, cycles broken by position)."""
    above: dict[Segment, set[Segment]] = {s: set() for s in segs}  # segments that must lie above s
    for j in segs:
        if j.label is None:
            continue
        a, b = j.label
        for i in segs:
            up, down = any(a < x < b for x in i.ups), any(a < x < b for x in i.downs)
            if i is j or up == down:
                continue
            (above[j] if up else above[i]).add(i if up else j)
    order: list[Segment] = []
    remaining = sorted(segs, key=lambda s: (s.lo, s.route, s.k))
    while remaining:
        left = set(remaining)
        s = next((s for s in remaining if not above[s] & left), None) or min(
            remaining, key=lambda s: len(above[s] & left))
        order.append(s)
        remaining.remove(s)
    tracks: dict[Segment, int] = {}
    for s in order:
        t = max((tracks[p] + 1 for p in above[s] if p in tracks), default=0)
        while any(u == t and o.lo < s.hi and s.lo < o.hi for o, u in tracks.items()):
            t += 1
        tracks[s] = t
    return tracks


def simplify(pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Drop repeated points and the middle of three collinear ones."""
    out: list[tuple[float, float]] = []
    for p in pts:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
        else:
            out.append(p)
    return out


# -- drawing -------------------------------------------------------------------------------------


def glyph(kind: str, x: float, y: float, colour: str = "#37474f") -> str:
    """A 12 px countermeasure glyph centred on (x, y), drawn with shapes so no font can change it."""
    X, Y = num(x), num(y)
    s = f'stroke="{colour}" stroke-width="1.2" fill="none"'
    if kind == "filter":  # a brick wall
        return (f'<rect x="{num(x - 6)}" y="{num(y - 5)}" width="12" height="10" fill="#fff" stroke="{colour}" '
                f'stroke-width="1.2"/><path d="M{num(x - 6)} {Y}H{num(x + 6)}M{num(x - 1)} {num(y - 5)}V{Y}'
                f'M{num(x + 3)} {Y}V{num(y + 5)}M{num(x - 4)} {Y}V{num(y + 5)}" {s}/>')
    if kind == "oneway":  # a diode
        return (f'<path d="M{num(x - 5)} {num(y - 5)}L{num(x + 3)} {Y}L{num(x - 5)} {num(y + 5)}Z" fill="{colour}"/>'
                f'<path d="M{num(x + 4)} {num(y - 5)}V{num(y + 5)}M{num(x - 7)} {Y}H{num(x + 7)}" {s}/>')
    if kind == "monitor":  # an eye
        return (f'<ellipse cx="{X}" cy="{Y}" rx="6.5" ry="4" fill="#fff" stroke="{colour}" stroke-width="1.2"/>'
                f'<circle cx="{X}" cy="{Y}" r="2" fill="{colour}"/>')
    if kind == "access":  # a key
        return (f'<circle cx="{num(x - 3.5)}" cy="{Y}" r="3" {s}/>'
                f'<path d="M{num(x - 0.5)} {Y}H{num(x + 6.5)}M{num(x + 4.5)} {Y}V{num(y + 3)}M{num(x + 6.5)} {Y}'
                f'V{num(y + 3)}" {s}/>')
    if kind == "crypto":  # a padlock
        return (f'<path d="M{num(x - 3)} {num(y - 1)}V{num(y - 3)}A3 3 0 0 1 {num(x + 3)} {num(y - 3)}V{num(y - 1)}" '
                f'{s}/><rect x="{num(x - 5)}" y="{num(y - 1)}" width="10" height="7" rx="1" fill="{colour}"/>')
    return f'<path d="M{X} {num(y - 6)}L{num(x + 6)} {Y}L{X} {num(y + 6)}L{num(x - 6)} {Y}Z" {s}/>'


def high_mark(x: float, y: float) -> str:
    """High criticality: a small dark-red triangle (baseline y)."""
    return f'<path d="M{num(x)} {num(y - 8)}L{num(x + 4.5)} {num(y)}L{num(x - 4.5)} {num(y)}Z" fill="#8e0000"/>'


def legacy_mark(x: float, y: float) -> str:
    """Legacy: a grey square with an L (baseline y)."""
    return (f'<rect x="{num(x - 4.5)}" y="{num(y - 8.5)}" width="9" height="9" rx="1.5" fill="#616161"/>'
            f'<text x="{num(x)}" y="{num(y - 1)}" font-size="7.5" font-weight="bold" fill="#fff" '
            f'text-anchor="middle">L</text>')


class AssetLine(NamedTuple):
    id: str
    right: str  # function, and the lifecycle when the asset is not operating
    legacy: bool
    high: bool
    operating: bool
    tooltip: str


@dataclass
class ZoneView:
    """What a zone's box shows, worked out before layout so that the box can be sized to its text."""

    id: str
    name: str
    title: str
    status: str
    trusted: bool
    target: SLVector | None
    achieved: SLVector | None
    assets: list[AssetLine]
    more: str
    subtitle: str
    external: bool = False  # outside the system under consideration: drawn without SL badges


def zone_views(plant: Plant, assessment: Assessment, max_assets: int) -> dict[str, ZoneView]:
    results = {z.id: z for z in assessment.zones}
    outside = set(assessment.external)
    by_zone: dict[str, list[str]] = defaultdict(list)
    for aid in sorted(plant.assets):
        by_zone[plant.assets[aid].zone].append(aid)
    views = {}
    for zid in sorted(plant.zones):
        zone, res = plant.zones[zid], results.get(zid)
        gaps = res.gaps if res else None
        target, achieved = (res.sl_target, res.sl_achieved) if res else (None, None)
        aids = sorted(by_zone[zid], key=lambda a: (plant.assets[a].criticality != "high", not plant.assets[a].legacy))
        shown = []
        for aid in aids[:max_assets]:
            a = plant.assets[aid]
            operating = a.lifecycle == "operating"
            tip = (f"{aid}{' — ' + a.name if a.name else ''}\n{a.function}, criticality {a.criticality}, "
                   f"{a.lifecycle}{', legacy' if a.legacy else ''}")
            shown.append(AssetLine(aid, a.function if operating else f"{a.function} · {a.lifecycle}", a.legacy,
                                   a.criticality == "high", operating, tip))
        hidden = Counter(plant.assets[a].function for a in aids[max_assets:])
        by_function = ", ".join(f"{n} {f}" for f, n in sorted(hidden.items(), key=lambda kv: (-kv[1], kv[0])))
        more = f"+ {len(aids) - len(shown)} more ({by_function})" if hidden else ""
        name, lvl = level_label(zone.level)
        subtitle = f"{zid} · {zone.kind}" + (" · untrusted" if zone.trust == "untrusted" else "")
        assessed = [f"SL-T {target or '?'}", f"SL-A {achieved or '?'}", open_gap_text(gaps)]
        if zid in outside:
            assessed = [STATUS_TEXT["external"]]
        title = "\n".join([f"{zone.name} ({zid})", f"{name} {lvl} · {zone.kind} · {zone.trust}", *assessed,
                           f"assets: {len(aids)}" + (f", not listed: {by_function}" if hidden else "")])
        views[zid] = ZoneView(zid, zone.name, title, "external" if zid in outside else status_of(gaps),
                              zone.trust != "untrusted", target, achieved, shown, more, subtitle, zid in outside)
    return views


BOX_PAD, BOX_HEAD, ASSET_LINE = 10.0, 80.0, 14.0


def box_size(v: ZoneView) -> tuple[float, float]:
    """Width that holds the widest line (the name is cut instead), height that holds every line."""
    need = [text_width(v.subtitle, 10), text_width("SL-T {0 0 0 0 0 0 0}", 10.5, mono=True) + 12]
    need += [32 + text_width(a.id, 10.5) + 10 + text_width(a.right, 9.5) for a in v.assets]
    lines = len(v.assets) + (1 if v.more else 0)
    h = BOX_HEAD + (lines * ASSET_LINE + 8 if lines else 0)
    return min(300.0, max(230.0, max(need) + 2 * BOX_PAD)), h


def draw_zone(v: ZoneView, x: float, y: float, w: float, h: float) -> str:
    stroke, fill = COLOURS[v.status]
    dash = '' if v.trusted else ' stroke-dasharray="7 4"'
    out = [f'<g id={quoteattr("zone-" + v.id)} data-zone={quoteattr(v.id)} class="zw-zone" '
           f'data-status="{v.status}"><title>{escape(v.title)}</title>',
           f'<rect class="zw-box" x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" rx="8" '
           f'fill="{fill}" stroke="{stroke}" stroke-width="2.2"{dash}/>',
           svg_text(x + BOX_PAD, y + 19, fit(v.name, w - 2 * BOX_PAD, 13, bold=True), 13, bold=True),
           svg_text(x + BOX_PAD, y + 34, fit(v.subtitle, w - 2 * BOX_PAD, 10), 10, fill="#555")]
    badge_w = text_width("SL-T {0 0 0 0 0 0 0}", 10.5, mono=True) + 10
    if v.external:  # no SL-T or SL-A: say what the zone is instead
        for k, text in enumerate((OUTSIDE, "entry point, no SL")):
            out.append(svg_text(x + BOX_PAD, y + 53 + k * 17, text, 10.5, fill="#455a64", italic=True,
                                bold=k == 0))
    for k, (tag, body) in enumerate(() if v.external else (("SL-T", plain_sl(v.target)),
                                                            ("SL-A", sl_tspans(v.achieved, v.target)))):
        by = y + 42 + k * 17
        out.append(f'<rect x="{num(x + BOX_PAD)}" y="{num(by)}" width="{num(badge_w)}" height="15" rx="3" '
                   f'fill="{"#eceff1" if k == 0 else "#fff"}" stroke="#b0bec5" stroke-width="0.8"/>'
                   f'<text x="{num(x + BOX_PAD + 5)}" y="{num(by + 11.5)}" font-size="10.5" font-family="{MONO}" '
                   f'fill="#212121" class="zw-{tag.lower()}">{tag} {{{body}}}</text>')
    if v.assets or v.more:
        out.append(f'<path d="M{num(x + 6)} {num(y + BOX_HEAD - 2)}H{num(x + w - 6)}" stroke="{stroke}" '
                   f'stroke-width="0.6" opacity="0.6"/>')
    ly = y + BOX_HEAD + 11
    for a in v.assets:
        grey = not a.operating
        avail = w - 2 * BOX_PAD - 22 - text_width(a.right, 9.5) - 8
        out.append(f'<g class="zw-asset" data-asset={quoteattr(a.id)}><title>{escape(a.tooltip)}</title>'
                   + (high_mark(x + BOX_PAD + 4.5, ly) if a.high else "")
                   + (legacy_mark(x + BOX_PAD + 15.5, ly) if a.legacy else "")
                   + svg_text(x + BOX_PAD + 22, ly, fit(a.id, avail, 10.5), 10.5,
                              fill="#757575" if grey else "#212121", italic=grey)
                   + svg_text(x + w - BOX_PAD, ly, a.right, 9.5, fill="#757575", anchor="end", italic=grey) + "</g>")
        ly += ASSET_LINE
    if v.more:
        out.append(svg_text(x + BOX_PAD + 22, ly, fit(v.more, w - 2 * BOX_PAD - 22, 10), 10, fill="#555",
                            italic=True))
    out.append("</g>")
    return "".join(out)


def draw_tile(v: ZoneView, x: float, y: float, w: float, h: float) -> str:
    stroke, fill = COLOURS[v.status]
    dash = '' if v.trusted else ' stroke-dasharray="4 2"'
    return (f'<g id={quoteattr("zone-" + v.id)} data-zone={quoteattr(v.id)} class="zw-zone" '
            f'data-status="{v.status}"><title>{escape(v.title)}</title>'
            f'<rect class="zw-box" x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" rx="4" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.4"{dash}/>'
            + svg_text(x + 5, y + 13, fit(v.id, w - 10, 10, bold=True), 10, bold=True)
            + (svg_text(x + 5, y + 27, fit(OUTSIDE, w - 10, 9), 9, fill="#455a64", italic=True) if v.external else
               f'<text x="{num(x + 5)}" y="{num(y + 27)}" font-size="9" font-family="{MONO}" fill="#212121">'
               f'{sl_tspans(v.achieved, v.target, "")}/{plain_sl(v.target, "")}</text>') + '</g>')


@dataclass
class ConduitView:
    id: str
    status: str
    title: str
    protocols: str
    countermeasures: list[tuple[str, str, str, str]]  # id, glyph, status, tooltip


def conduit_views(plant: Plant, assessment: Assessment) -> dict[str, ConduitView]:
    results = {c.id: c for c in assessment.conduits}
    on_conduit = conduit_countermeasures(plant)
    views = {}
    for cid in sorted(plant.conduits):
        con, res = plant.conduits[cid], results.get(cid)
        gaps = res.gaps if res else None
        protos = conduit_protocols(plant, cid)
        cms = []
        for k in on_conduit[cid]:
            cm = plant.countermeasures[k]
            cms.append((k, GLYPH_OF_KIND.get(cm.kind, "other"), cm.status,
                        f"{k}{' — ' + cm.name if cm.name else ''}\n{cm.kind}, {cm.status}"))
        outside = res is None and all(z in assessment.external for z in con.zones)
        assessed = [f"SL-T {res.sl_target if res else '?'}", f"SL-A {res.sl_achieved if res else '?'}",
                    open_gap_text(gaps)] if not outside else ["between zones outside the SuC: no SL or gaps"]
        title = "\n".join([f"conduit {cid}" + (f" — {con.name}" if con.name else ""), " ↔ ".join(con.zones),
                           *assessed,
                           "protocols: " + (", ".join(protos) or "none"),
                           "countermeasures: " + (", ".join(f"{k} ({plant.countermeasures[k].kind})"
                                                            for k, *_ in cms) or "none")])
        views[cid] = ConduitView(cid, "external" if outside else status_of(gaps), title,
                                 fit(" ".join(protos), 190, 9), cms)
    return views


def pill_width(v: ConduitView) -> float:
    text = max(text_width(v.id, 10, bold=True), text_width(v.protocols, 9))
    return 12 + len(v.countermeasures) * ICON + (4 if v.countermeasures else 0) + text


def draw_conduit(v: ConduitView, pts: list[tuple[float, float]], compact: bool) -> str:
    stroke = COLOURS[v.status][0]
    width, opacity = ("1", "0.6") if compact else ("2.2", "1")
    path = " ".join(f"{num(x)},{num(y)}" for x, y in pts)
    ends = "" if compact else "".join(f'<circle cx="{num(x)}" cy="{num(y)}" r="3" fill="{stroke}"/>'
                                      for x, y in (pts[0], pts[-1]))
    return (f'<g id={quoteattr("conduit-" + v.id)} data-conduit={quoteattr(v.id)} class="zw-conduit" '
            f'data-status="{v.status}"><title>{escape(v.title)}</title>'
            f'<polyline points="{path}" fill="none" stroke="{stroke}" stroke-width="{width}" opacity="{opacity}" '
            f'stroke-linejoin="round"/>{ends}</g>')


def draw_pill(v: ConduitView, cx: float, cy: float, pw: float) -> str:
    stroke = COLOURS[v.status][0]
    x, y = cx - pw / 2, cy - PILL_H / 2
    out = [f'<g class="zw-conduit-label" data-conduit={quoteattr(v.id)}><title>{escape(v.title)}</title>'
           f'<rect x="{num(x)}" y="{num(y)}" width="{num(pw)}" height="{PILL_H:g}" rx="6" fill="#fff" '
           f'stroke="{stroke}" stroke-width="1.4"/>']
    for k, (cm, kind, status, tip) in enumerate(v.countermeasures):
        gx = x + 6 + ICON / 2 + k * ICON
        faded = ' opacity="0.4"' if status != "implemented" else ""
        out.append(f'<g class="zw-cm" data-countermeasure={quoteattr(cm)} data-kind="{kind}"{faded}>'
                   f'<title>{escape(tip)}</title>{glyph(kind, gx, cy)}</g>')
    tx = x + 6 + len(v.countermeasures) * ICON + (4 if v.countermeasures else 0)
    out.append(svg_text(tx, cy - 2, v.id, 10, bold=True) + svg_text(tx, cy + 9.5, v.protocols, 9, fill="#555"))
    out.append("</g>")
    return "".join(out)


def draw_bands(lay: Layout, parts: int) -> str:
    out = ['<g class="zw-bands">']
    levels = sorted({row.level for row in lay.rows}, reverse=True)
    for r, row in enumerate(lay.rows):
        top, bottom = lay.channel_top[r], lay.row_top[r] + lay.row_h[r]
        short, name = level_label(row.level)
        fill = "#f3f5f8" if levels.index(row.level) % 2 == 0 else "#e6ebf1"
        part = f" (part {row.part + 1} of {parts})" if parts > 1 else ""
        out.append(f'<g class="zw-band" data-level="{row.level:g}" data-part="{row.part + 1}">'
                   f'<title>Purdue level {row.level:g}: {escape(name)}{part}</title>'
                   f'<rect x="{num(MARGIN)}" y="{num(top)}" width="{num(lay.width - 2 * MARGIN)}" '
                   f'height="{num(bottom - top)}" fill="{fill}"/>'
                   + svg_text(MARGIN + 10, (top + bottom) / 2 - 2, short, 16, bold=True, fill="#37474f")
                   + svg_text(MARGIN + 10, (top + bottom) / 2 + 13, fit(name, LABEL_W - 14, 11), 11, fill="#546e7a")
                   + (svg_text(MARGIN + 10, (top + bottom) / 2 + 26, f"part {row.part + 1}/{parts}", 9,
                               fill="#78909c") if parts > 1 else "") + "</g>")
        if r and lay.rows[r - 1].part != row.part:
            out.append(f'<path d="M{num(MARGIN)} {num(top)}H{num(lay.width - MARGIN)}" stroke="#78909c" '
                       'stroke-width="2" stroke-dasharray="10 5"/>')
    out.append("</g>")
    return "".join(out)


def legend_items(compact: bool) -> Iterable[tuple[str, str]]:
    """(drawing at 0,0 within a 36 x 18 cell, text) for every mark the picture uses."""
    for status in ("red", "amber", "green"):
        stroke, fill = COLOURS[status]
        yield (f'<rect x="2" y="2" width="32" height="14" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="2"/>',
               f"{STATUS_TEXT[status]} (open or in progress)")
    stroke, fill = COLOURS["external"]
    yield (f'<rect x="2" y="2" width="32" height="14" rx="3" fill="{fill}" stroke="{stroke}" stroke-width="2"/>',
           "zone outside the SuC: entry point, no SL or gaps")
    yield ('<rect x="2" y="2" width="32" height="14" rx="3" fill="#fff" stroke="#555" stroke-width="2" '
           'stroke-dasharray="7 4"/>', "untrusted zone")
    digits = ('<text x="4" y="13" font-size="10" font-family="' + MONO + '">1<tspan fill="#c62828" '
              'font-weight="bold">0</tspan>2</text>')
    if compact:
        yield digits, "tile: zone id; SL-A/SL-T per FR (IAC UC SI DC RDF TRE RA)"
        yield digits, "red bold digit: SL-A below SL-T on that FR"
    else:
        yield ('<rect x="2" y="2" width="32" height="14" rx="3" fill="#eceff1" stroke="#b0bec5"/>',
               "SL-T target and SL-A achieved, per FR: IAC UC SI DC RDF TRE RA")
        yield digits, "red bold digit: SL-A below SL-T on that FR"
        yield high_mark(12, 14) + legacy_mark(25, 14), "asset of high criticality; legacy asset"
        yield ('<rect x="1" y="2" width="34" height="14" rx="5" fill="#fff" stroke="#555"/>'
               '<path d="M-6 9H1M35 9H42" stroke="#555" stroke-width="2"/>',
               "conduit: countermeasures, id, protocols (hover: SL-T, SL-A)")
        for kind, text in GLYPH_TEXT.items():
            yield glyph(kind, 18, 9), text
        yield f'<g opacity="0.4">{glyph("filter", 18, 9)}</g>', "planned or retired countermeasure"
    yield ('<path d="M2 4H18V15H34" fill="none" stroke="#555" stroke-width="2"/>',
           "conduit, coloured like zones by its own gaps")


def draw_legend(x0: float, y0: float, width: float, compact: bool) -> tuple[str, float]:
    items = list(legend_items(compact))
    col_w = LEGEND_COL
    cols = max(1, int(width // col_w))
    rows = -(-len(items) // cols)
    out = [f'<g class="zw-legend"><text x="{num(x0)}" y="{num(y0 + 12)}" font-size="12" font-weight="bold" '
           'fill="#37474f">Legend</text>']
    for k, (drawing, text) in enumerate(items):
        x, y = x0 + (k // rows) * col_w, y0 + 22 + (k % rows) * 22
        out.append(f'<g transform="translate({num(x)},{num(y)})">{drawing}'
                   + svg_text(44, 13, fit(text, col_w - 52, 10.5), 10.5, fill="#37474f") + "</g>")
    out.append("</g>")
    return "".join(out), 22 + rows * 22


# -- the whole picture -----------------------------------------------------------------------------


def zone_diagram(plant: Plant, assessment: Assessment, *, max_assets: int = 8, compact_over: int = 40) -> str:
    """The plant's zones and conduits as one standalone SVG document: identical bytes for identical input.

    Purdue bands (enterprise on top), zones coloured by their open gaps with SL-T and SL-A badges,
    conduits routed around the boxes with their protocols and countermeasures; above `compact_over`
    zones, tiles without asset lists and bands wrapped into parts so the picture stays landscape.
    """
    with paused_gc():  # tens of thousands of small tuples; a GC pass would re-scan the whole loaded plant
        return _zone_diagram(plant, assessment, max_assets, compact_over)


def _zone_diagram(plant: Plant, assessment: Assessment, max_assets: int, compact_over: int) -> str:
    compact = len(plant.zones) > compact_over
    m = COMPACT if compact else DETAILED
    zviews = zone_views(plant, assessment, max_assets)
    cviews = conduit_views(plant, assessment)
    if compact:
        sizes = {z: (TILE_W, TILE_H) for z in zviews}
    else:
        natural = {z: box_size(v) for z, v in zviews.items()}
        width = max((w for w, _ in natural.values()), default=230.0)
        sizes = {z: (width, h) for z, (_, h) in natural.items()}
    pills = {c: pill_width(v) for c, v in cviews.items()}
    links = [(c, *plant.conduits[c].zones) for c in sorted(plant.conduits)
             if all(z in plant.zones for z in plant.conduits[c].zones)]
    levels = sorted({z.level for z in plant.zones.values()}, reverse=True)
    bands = order_zones(plant, levels)
    lay, parts = landscape_layout(bands, levels, sizes, links, m, pills)

    legend_y = lay.bottom + 24
    legend, legend_h = draw_legend(MARGIN, legend_y, lay.width - 2 * MARGIN, compact)
    width = lay.width
    height = legend_y + legend_h + MARGIN
    heading = f"{plant.plant.name} — zones and conduits"
    counts = f"{len(plant.zones)} zones, {len(plant.conduits)} conduits, {len(plant.assets)} assets"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}" '
           f'height="{num(height)}" font-family="{FONT}" class="zw-diagram" data-mode='
           f'"{"compact" if compact else "detailed"}" role="img" aria-label={quoteattr(heading)}>',
           f"<title>{escape(heading)} ({counts})</title>",
           f'<rect x="0" y="0" width="{num(width)}" height="{num(height)}" fill="#fff"/>',
           svg_text(MARGIN, 28, heading, 18, bold=True, fill="#263238"),
           svg_text(MARGIN, 44, counts + (" — compact view: hover a tile or a line for details" if compact else ""),
                    11, fill="#607d8b"),
           draw_bands(lay, parts), '<g class="zw-conduits">']
    out += [draw_conduit(cviews[rt.cid], rt.points, compact) for rt in lay.routes]
    out.append('</g><g class="zw-zones">')
    draw = draw_tile if compact else draw_zone
    out += [draw(zviews[z], *lay.box(z)) for row in lay.rows for z in row.zones]
    out.append("</g>")
    if not compact:
        out.append('<g class="zw-conduit-labels">')
        out += [draw_pill(cviews[rt.cid], *lay.label_at[rt.cid], pills[rt.cid]) for rt in lay.routes]
        out.append("</g>")
    out += [legend, "</svg>"]
    return "\n".join(out) + "\n"


def landscape_layout(bands: dict[float, list[str]], levels: list[float], sizes: dict[str, tuple[float, float]],
                     links: list[tuple[str, str, str]], m: Metrics, pills: dict[str, float]) -> tuple[Layout, int]:
    """Cut the bands into as many parts as bring width/height nearest RATIO (one part when it is wide enough)."""
    parts, tried = 1, {}
    while parts not in tried:
        lay = Layout(make_rows(bands, levels, parts), sizes, links, m, pills)
        ratio = lay.width / max(lay.bottom, 1.0)
        tried[parts] = (abs(ratio / RATIO - 1), lay)
        if ratio <= RATIO * 1.5 or not bands:
            break
        most = max(len(zs) for zs in bands.values())
        parts = min(most, max(parts + 1, round(parts * (ratio / RATIO) ** 0.5)))
    best = min(tried, key=lambda p: (tried[p][0], p))
    return tried[best][1], best
