#!/usr/bin/env python3
"""Fails on a cycle between the modules of a Rust crate (by default `host/src`,
`components/service-kit/src` and `testing/src`).

The modules are the files reached from `lib.rs` through `mod name;` declarations. Module A
depends on module B when A's code names B by a path: `use crate::b::…`, `super::…`,
`self::…`, or a child module's name (`b::f()`); an inline module (`mod tests { … }`)
counts as part of its file. A name that a module re-exports (`pub use b::Thing`) counts
as a dependency on the module it comes from, so a crate root's re-exports cause no cycle
by themselves. Edges listed in `module_cycles.allow` (`src-dir: a -> b  # why`) are left
out, so that known cycles owned by other work can wait; a listed edge that is gone fails
the check, so the list only shrinks.

Usage: module_cycles.py [--root DIR] [SRC-DIR...] | --self-test
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rust_text import allow_list_entries, blank_out, matching_brace  # noqa: E402

DEFAULT_CRATES = ["host/src", "components/service-kit/src", "testing/src"]
ALLOW_FILE = Path(__file__).with_name("module_cycles.allow")

MOD_DECL = re.compile(r"(?:#\[[^\]]*\]\s*)*(?:pub(?:\s*\([^)]*\))?\s+)?\bmod\s+(\w+)\s*([;{])")
USE = re.compile(r"\b(pub(?:\s*\([^)]*\))?\s+)?use\s+([^;]+);")
PATH = re.compile(r"(?<![\w$:])(\w+)((?:\s*::\s*\w+)+)")


@dataclass
class Module:
    """One file of the crate and the inline modules in it."""
    path: tuple[str, ...]  # ("crate", "a", "b")
    file: Path
    text: str = ""
    children: set[str] = field(default_factory=set)  # file modules declared here
    # (start, end, path) of each inline module, innermost last when nested.
    inline: list[tuple[int, int, tuple[str, ...]]] = field(default_factory=list)
    reexports: dict[str, tuple[str, ...]] = field(default_factory=dict)


def load_crate(src: Path) -> dict[tuple[str, ...], Module]:
    """Every file module reachable from `src/lib.rs` (or `main.rs`)."""
    root_file = src / "lib.rs" if (src / "lib.rs").exists() else src / "main.rs"
    modules: dict[tuple[str, ...], Module] = {}
    pending = [(("crate",), root_file, src)]
    while pending:
        path, file, folder = pending.pop()
        module = Module(path, file, blank_out(file.read_text(encoding="utf-8", errors="replace")))
        modules[path] = module
        _inline_modules(module, module.text, 0, len(module.text), path)
        for match in MOD_DECL.finditer(module.text):
            if match.group(2) != ";" or _inside_inline(module, match.start()) != path:
                continue
            name = match.group(1)
            module.children.add(name)
            for candidate, child_folder in ((folder / f"{name}.rs", folder / name),
                                            (folder / name / "mod.rs", folder / name)):
                if candidate.exists():
                    pending.append((path + (name,), candidate, child_folder))
                    break
    return modules


def _inline_modules(module: Module, text: str, start: int, end: int, path: tuple[str, ...]) -> None:
    for match in MOD_DECL.finditer(text, start, end):
        if match.group(2) == "{" and not any(a < match.start() < b for a, b, _ in module.inline):
            close = matching_brace(text, match.end() - 1)
            module.inline.append((match.end() - 1, close, path + (match.group(1),)))
            _inline_modules(module, text, match.end(), close, path + (match.group(1),))


def _inside_inline(module: Module, index: int) -> tuple[str, ...]:
    """The module (file or inline) that the code at `index` belongs to."""
    best = module.path
    for start, end, path in module.inline:
        if start < index < end and len(path) > len(best):
            best = path
    return best


def expand_use(tree: str) -> list[list[str]]:
    """`a::{b, c::{d, self}, e::*}` -> [[a, b], [a, c, d], [a, c], [a, e]] (renames must
    be stripped first; a glob names its module)."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace == -1:
        return [[p for p in tree.split("::") if p and p != "*"]]
    prefix = [p for p in tree[:brace].split("::") if p]
    inner = tree[brace + 1:tree.rfind("}")]
    items, depth, current = [], 0, ""
    for c in inner:
        if c == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += c == "{"
        depth -= c == "}"
        current += c
    items.append(current)
    paths = []
    for item in filter(None, items):
        for sub in expand_use(item):
            paths.append(prefix + [s for s in sub if s != "self"])
    return paths


def _strip_rename(use_text: str) -> str:
    return re.sub(r"\s+as\s+\w+", "", use_text)


def resolve(modules: dict, here: tuple[str, ...], segments: list[str]) -> tuple[str, ...] | None:
    """The full path that `segments`, written in module `here`, names; None when it does not
    start in this crate."""
    if not segments:
        return None
    head = segments[0]
    if head == "crate":
        full = ["crate"]
    elif head in ("super", "self"):
        full = list(here)
        while segments and segments[0] in ("super", "self"):
            if segments[0] == "super":
                full.pop()
            segments = segments[1:]
        return tuple(full + segments)
    elif head in _children_of(modules, here):
        full = list(here)
        return tuple(full + segments)
    else:
        return None
    return tuple(full + segments[1:])


def _children_of(modules: dict, here: tuple[str, ...]) -> set[str]:
    names = set(modules[here].children) if here in modules else set()
    for module in modules.values():
        for _, _, path in module.inline:
            if path[:-1] == here:
                names.add(path[-1])
    return names


def file_module(modules: dict, full: tuple[str, ...], seen: int = 0) -> tuple[str, ...]:
    """The file module that the item at `full` lives in (following re-exports)."""
    for length in range(len(full), 0, -1):
        prefix = full[:length]
        if prefix in modules:
            rest = full[length:]
            if rest and rest[0] in modules[prefix].reexports and seen < 16:
                return file_module(modules, modules[prefix].reexports[rest[0]] + rest[1:], seen + 1)
            return prefix
    return ("crate",)


def dependencies(modules: dict) -> dict[tuple[str, ...], set[tuple[str, ...]]]:
    """File module -> the file modules it names."""
    for module in modules.values():
        for match in USE.finditer(module.text):
            if not match.group(1):
                continue
            here = _inside_inline(module, match.start())
            for segments in expand_use(_strip_rename(match.group(2))):
                full = resolve(modules, here, segments)
                if full and len(segments) > 0:
                    module.reexports[segments[-1]] = full
    edges: dict[tuple[str, ...], set[tuple[str, ...]]] = {path: set() for path in modules}
    for module in modules.values():
        named: list[tuple[int, list[str]]] = []
        for match in USE.finditer(module.text):
            named += [(match.start(), s) for s in expand_use(_strip_rename(match.group(2)))]
        use_spans = [(m.start(), m.end()) for m in USE.finditer(module.text)]
        for match in PATH.finditer(module.text):
            if any(a <= match.start() < b for a, b in use_spans):
                continue
            segments = [match.group(1)] + [s.strip() for s in match.group(2).split("::") if s.strip()]
            named.append((match.start(), segments))
        for index, segments in named:
            here = _inside_inline(module, index)
            full = resolve(modules, here, segments)
            if full is None:
                continue
            target = file_module(modules, full)
            if target != module.path:
                edges[module.path].add(target)
    return edges


def cycles(edges: dict[tuple[str, ...], set[tuple[str, ...]]]) -> list[list[tuple[str, ...]]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    found = []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def name(path: tuple[str, ...]) -> str:
    return "::".join(path)


def read_allow_list(path: Path) -> dict[tuple[str, str, str], str]:
    """(src dir, from, to) -> why."""
    entries = {}
    for number, edge, comment in allow_list_entries(path):
        match = re.fullmatch(r"(\S+):\s*(\S+)\s*->\s*(\S+)", edge)
        if not match or not comment:
            raise SystemExit(f"{path}:{number}: expected `src-dir: a -> b  # why`: {edge}")
        entries[match.groups()] = comment
    return entries


def check(root: Path, crates: list[str], allow: dict, notes: list[str] | None = None) -> list[str]:
    failures = []
    notes = [] if notes is None else notes
    for crate in crates:
        edges = dependencies(load_crate(root / crate))
        for (allowed_crate, source, target), why in allow.items():
            if allowed_crate != crate:
                continue
            edge = (tuple(source.split("::")), tuple(target.split("::")))
            if edge[1] in edges.get(edge[0], set()):
                edges[edge[0]].discard(edge[1])
                notes.append(f"allowed: {crate}: {source} -> {target} ({why})")
            else:
                failures.append(f"{ALLOW_FILE.name}: {crate}: {source} -> {target} is gone: remove it")
        for component in cycles(edges):
            members = set(component)
            detail = "; ".join(f"{name(a)} -> {', '.join(name(b) for b in sorted(edges[a] & members))}"
                               for a in component)
            failures.append(f"{crate}: cycle between {', '.join(name(m) for m in component)} ({detail})")
    return failures


def self_test() -> None:
    """Proves the check finds a cycle through `use crate::`, `super::` and child paths,
    and none in an acyclic crate (re-exports from the root, `use super::*` in tests)."""
    files = {
        "lib.rs": "pub mod a;\npub mod b;\npub mod c;\npub use a::Thing;\n",
        "a/mod.rs": "mod inner;\npub use inner::Thing;\n#[cfg(test)]\nmod tests { use super::*; }\n",
        "a/inner.rs": "pub struct Thing; // crate::c::x in a comment\nconst S: &str = \"crate::c\";\n",
        "b.rs": "use crate::Thing;\npub fn f() -> Thing { crate::c::g() }\n",
        "c.rs": "pub fn g() -> crate::a::Thing { crate::a::Thing }\n",
    }
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "src"
        for relative, text in files.items():
            (src / relative).parent.mkdir(parents=True, exist_ok=True)
            (src / relative).write_text(text)
        assert check(Path(folder), ["src"], {}) == [], check(Path(folder), ["src"], {})
        edges = dependencies(load_crate(src))
        assert edges[("crate", "b")] == {("crate", "a", "inner"), ("crate", "c")}, edges
        # Now inner names c (a child path from its parent's `use super::…` would too).
        (src / "a/inner.rs").write_text("pub struct Thing;\nfn h() { super::super::b::f(); }\n")
        failures = check(Path(folder), ["src"], {})
        assert len(failures) == 1 and "cycle between crate::a::inner, crate::b" in failures[0], failures
        # A parent naming its child and the child naming the parent back.
        (src / "a/inner.rs").write_text("pub struct Thing;\nuse super::{Other as O};\n")
        (src / "a/mod.rs").write_text("mod inner;\npub use inner::Thing;\npub struct Other;\n")
        failures = check(Path(folder), ["src"], {})
        assert len(failures) == 1 and "crate::a, crate::a::inner" in failures[0], failures
        allow = {("src", "crate::a::inner", "crate::a"): "owned elsewhere"}
        assert check(Path(folder), ["src"], allow) == []
        stale = {("src", "crate::b", "crate::a"): "no such edge"}
        assert any("is gone" in f for f in check(Path(folder), ["src"], {**allow, **stale}))
    print("module_cycles self-test: ok")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--self-test", action="store_true")
    parser.add_argument("crates", nargs="*", default=DEFAULT_CRATES)
    args = parser.parse_args()
    notes: list[str] = []
    if args.self_test:
        self_test()
        return 0
    failures = check(args.root.resolve(), args.crates, read_allow_list(ALLOW_FILE), notes)
    for note in notes:
        print(note)
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        print(f"module_cycles: {len(failures)} problem(s)", file=sys.stderr)
        return 1
    print(f"module_cycles: no cycles in {', '.join(args.crates)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
