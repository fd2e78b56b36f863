"""A whole line's flows and locales, compiled once and shared read-only.

Built from texts (the shell reads the files), so building is pure and a
hot reload can compile a candidate set, lint it, and swap it in only when it
is clean.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from . import yamlpos
from .flows import Flow, compile_flow
from .locales import Catalog
from .problems import Problem
from .yamlpos import Pos

MAIN_FLOW = "main"


@dataclass
class FlowSet:
    flows: dict  # name -> Flow
    catalog: Catalog
    problems: list  # compile problems (errors and warnings); lint adds more
    locale_files: dict  # lang -> file name
    locale_trees: dict  # lang -> PosDict (positions for lint)

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def keyword_flows(self) -> dict:
        """Normalised trigger word -> flow name, over every language."""
        from .inputs.normalize import normalize

        out = {}
        for flow in self.flows.values():
            for words in flow.keywords.values():
                for w in words:
                    out.setdefault(normalize(w), flow.name)
        return out


def command_table(flows) -> dict:
    """Normalised command phrase -> [(flow, Command)], in menu order (a phrase
    several flows use goes to the first one the member's roles allow)."""
    from .inputs.normalize import normalize

    out: dict = {}
    for flow in sorted(flows.values(), key=lambda f: (f.order, f.name)):
        for cmd in flow.commands:
            for phrases in cmd.words.values():
                for phrase in phrases:
                    key = normalize(phrase)
                    entries = out.setdefault(key, [])
                    if all(f.name != flow.name for f, _ in entries):
                        entries.append((flow, cmd))
    return out


def build(flow_texts: Mapping[str, str], locale_texts: Mapping[str, str], default_lang: str = "en",
          currency: str = "USD", region: str = "US") -> FlowSet:
    """``flow_texts``: file name -> YAML text; ``locale_texts``: file name -> YAML text
    (the language is the file's stem, e.g. ``locales/es.yaml``)."""
    problems: list[Problem] = []
    flows: dict[str, Flow] = {}
    for file, text in sorted(flow_texts.items()):
        stem = file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        flow, probs = compile_flow(file, text, stem)
        problems.extend(probs)
        if flow is not None:
            if flow.name in flows:
                problems.append(Problem(file, 1, 1, f"flow {flow.name!r} is defined twice"))
            flows[flow.name] = flow
    trees: dict = {}
    files: dict = {}
    for file, text in sorted(locale_texts.items()):
        lang = file.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        try:
            tree = yamlpos.load(text)
        except yamlpos.YamlError as exc:
            problems.append(Problem(file, exc.pos.line, exc.pos.col, exc.message))
            continue
        if tree is None:
            tree = {}
        if not isinstance(tree, dict):
            problems.append(Problem(file, 1, 1, "a locale file is a mapping of keys to texts"))
            continue
        trees[lang] = tree
        files[lang] = file
    if MAIN_FLOW not in flows and flow_texts:
        problems.append(Problem(sorted(flow_texts)[0], 1, 1, "no 'main' flow: the line needs flows/main.yaml"))
    if default_lang not in trees:
        problems.append(Problem(f"locales/{default_lang}.yaml", 1, 1,
                                f"the line's default language {default_lang!r} has no locale file"))
        trees.setdefault(default_lang, {})
    return FlowSet(flows, Catalog(trees, default_lang, currency, region), problems, files, trees)


def where(tree, key: str) -> Pos:
    """Position of a dotted key in a locale tree (for lint)."""
    node, pos = tree, Pos(1, 1)
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return pos
        pos = node.where(part) if hasattr(node, "where") else pos
        node = node[part]
    return pos
