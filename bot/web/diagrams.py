"""A flow's states and transitions as an inline SVG, drawn on the server.

No layout library: states are put in rows by their distance from the start
state (breadth first), in the order they appear in the file, and each
transition is a line (a curve when it goes back up or stays in its row)
with its label: the option, answer, action result, event or "timeout".
"""
from __future__ import annotations

from dataclasses import dataclass
from html import escape

from ..engine.flows import Flow, State

BOX_W, BOX_H = 150, 34
GAP_X, GAP_Y = 30, 70
MARGIN = 20


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


def edges(st: State) -> list[Edge]:
    """Every way out of ``st``, labelled with what takes it."""
    out: list[Edge] = []

    def add(target: str | None, label: str) -> None:
        if target:
            out.append(Edge(st.name, target, label))

    if st.action:
        for result, target in st.action.on.items():
            add(target, str(result))  # the action's name is in the state's tooltip
    if st.ask:
        for opt in st.ask.options:
            add(opt.goto, opt.value)
        for value, target in st.ask.on.items():
            add(target, str(value))
        add(st.ask.goto, "answer")
        add(getattr(st.ask, "other", None), "other answer")  # a choice's "anything else" (saved as typed)
    if st.wait:
        for event, target in st.wait.on.items():
            add(target, f"on {event}")
        add(st.wait.on_timeout, "timeout")
    if st.switch:
        for case, target in st.switch.cases.items():
            add(target, f"{st.switch.on} = {case}")
        add(st.switch.default, "else")
    add(st.goto, "")
    return out


def kind(st: State) -> str:
    if st.ask:
        return "ask"
    if st.wait:
        return "wait"
    if st.action:
        return "action"
    if st.flow:
        return "flow"
    if st.end or not st.targets():
        return "end"
    return "step"


def layers(flow: Flow) -> list[list[str]]:
    """Rows of state names: the start, then each breadth-first distance; unreachable states last."""
    order = list(flow.states)
    depth = {flow.start: 0} if flow.start in flow.states else {}
    todo = [flow.start] if depth else []
    while todo:
        name = todo.pop(0)
        for e in edges(flow.states[name]):
            if e.target in flow.states and e.target not in depth:
                depth[e.target] = depth[name] + 1
                todo.append(e.target)
    rows: dict[int, list[str]] = {}
    last = max(depth.values(), default=-1) + 1
    for name in order:
        rows.setdefault(depth.get(name, last), []).append(name)
    return [rows[k] for k in sorted(rows)]


def _short(text: str, n: int = 20) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def svg(flow: Flow) -> str:
    rows = layers(flow)
    width = MARGIN * 2 + max((len(r) for r in rows), default=1) * (BOX_W + GAP_X) + 80  # 80: curves going back up
    height = MARGIN * 2 + len(rows) * (BOX_H + GAP_Y)
    pos: dict[str, tuple[float, float]] = {}
    for y, row in enumerate(rows):
        offset = (width - 80 - len(row) * (BOX_W + GAP_X)) / 2
        for x, name in enumerate(row):
            pos[name] = (offset + x * (BOX_W + GAP_X) + GAP_X / 2, MARGIN + y * (BOX_H + GAP_Y))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="flow-diagram" viewBox="0 0 {width:.0f} {height:.0f}" '
             f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="states of {escape(flow.name)}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>']
    for st in flow.states.values():
        for e in edges(st):
            if e.target not in pos:
                continue
            parts.append(_edge(pos[e.source], pos[e.target], e.label))
    for name, (x, y) in pos.items():
        st = flow.states[name]
        cls = kind(st) + (" start" if name == flow.start else "")
        what = f"action {st.action.name}" if st.action else kind(st)
        parts.append(f'<g class="state {cls}"><title>{escape(name)} ({escape(what)})</title>'
                     f'<rect x="{x:.0f}" y="{y:.0f}" width="{BOX_W}" height="{BOX_H}" rx="8"/>'
                     f'<text x="{x + BOX_W / 2:.0f}" y="{y + BOX_H / 2 + 5:.0f}" text-anchor="middle">'
                     f'{escape(_short(name + (f" → {st.flow}" if st.flow else "")))}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _edge(a: tuple[float, float], b: tuple[float, float], label: str) -> str:
    (ax, ay), (bx, by) = a, b
    x1, y1 = ax + BOX_W / 2, ay + BOX_H
    x2, y2 = bx + BOX_W / 2, by
    if by > ay:  # downwards: a straight line from the bottom to the top
        path = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
        lx, ly = (x1 + x2) / 2, (y1 + y2) / 2
    elif by == ay and ax != bx:  # along a row: side to side
        right = bx > ax
        x1, y1 = (ax + BOX_W, ay + BOX_H / 2) if right else (ax, ay + BOX_H / 2)
        x2, y2 = (bx, by + BOX_H / 2) if right else (bx + BOX_W, by + BOX_H / 2)
        path = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2:.0f}"
        lx, ly = (x1 + x2) / 2, y1 - 6
    else:  # back up, or to itself: a curve out to the right
        x1, y1 = ax + BOX_W, ay + BOX_H / 2
        x2, y2 = bx + BOX_W, by + BOX_H / 2
        bend = max(x1, x2) + 40 + abs(y1 - y2) / 6
        if (x1, y1) == (x2, y2):  # to itself
            path = f"M{x1:.0f},{y1 - 8:.0f} C{bend:.0f},{y1 - 30:.0f} {bend:.0f},{y1 + 30:.0f} {x2:.0f},{y2 + 8:.0f}"
        else:
            path = f"M{x1:.0f},{y1:.0f} C{bend:.0f},{y1:.0f} {bend:.0f},{y2:.0f} {x2:.0f},{y2:.0f}"
        lx, ly = bend - 10, (y1 + y2) / 2
    text = (f'<text class="edge-label" x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle">{escape(_short(label, 24))}'
            "</text>") if label else ""
    return f'<g class="edge"><path d="{path}" fill="none" marker-end="url(#arrow)"/>{text}</g>'
