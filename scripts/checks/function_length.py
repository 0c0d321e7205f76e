#!/usr/bin/env python3
"""Fails when a Rust function of the workspace is too long: production code over 80 lines,
test code over 120 (from the `fn` line to its closing brace; attributes and doc comments
do not count).

Test code is a function marked `#[test]` or `#[<runtime>::test]`, anything in a
`#[cfg(test)]` module, and every file below a `tests/` folder or named `tests.rs`.
Functions named in `function_length.allow` (`path::function  # why`) are reported but do
not fail the check; an entry that is no longer too long fails it, so the list only shrinks.

Usage: function_length.py [--root DIR] | --self-test
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rust_text import allow_list_entries, blank_out, line_of, matching_brace, rust_files  # noqa: E402

PRODUCTION_LIMIT = 80
TEST_LIMIT = 120
ALLOW_FILE = Path(__file__).with_name("function_length.allow")

FN = re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)")
TEST_ATTRIBUTE = re.compile(r"#\[\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*::\s*)*test\b")
CFG_TEST_MOD = re.compile(r"#\[\s*cfg\s*\(\s*test\s*\)\s*\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*([;{])")


@dataclass(frozen=True)
class Function:
    path: str
    name: str
    line: int
    lines: int
    limit: int

    @property
    def key(self) -> str:
        return f"{self.path}::{self.name}"


def functions(relative: str, source: str, test_file: bool) -> list[Function]:
    """Every function with a body in `source` (the file at `relative`)."""
    text = blank_out(source)
    test_ranges = [(m.end() - 1, matching_brace(text, m.end() - 1))
                   for m in CFG_TEST_MOD.finditer(text) if m.group(2) == "{"]
    found = []
    for match in FN.finditer(text):
        body = _body_start(text, match.end())
        if body is None:
            continue
        end = matching_brace(text, body)
        start_line, end_line = line_of(text, match.start()), line_of(text, end)
        is_test = (test_file or any(a <= match.start() <= b for a, b in test_ranges)
                   or _has_test_attribute(text, match.start()))
        found.append(Function(relative, match.group(1), start_line, end_line - start_line + 1,
                              TEST_LIMIT if is_test else PRODUCTION_LIMIT))
    return found


def _body_start(text: str, i: int) -> int | None:
    """The `{` opening the body of the function whose signature continues at `i`, or None
    for a declaration without a body (`;`)."""
    depth = 0
    for k in range(i, len(text)):
        c = text[k]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif depth == 0 and c == ";":
            return None
        elif depth == 0 and c == "{":
            return k
    return None


def _has_test_attribute(text: str, fn_index: int) -> bool:
    """Whether the attributes right above the `fn` at `fn_index` include a test one."""
    line_start = text.rfind("\n", 0, fn_index) + 1
    lines = text[:line_start].split("\n")[:-1]
    for line in reversed(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if not (stripped.startswith("#[") or stripped.endswith(")]") or stripped.endswith(")")):
            return False
        if TEST_ATTRIBUTE.search(stripped):
            return True
    return False


def test_files(root: Path, files: list[Path]) -> set[Path]:
    """Files that hold only test code: below `tests/`, named `tests.rs`, or declared by a
    `#[cfg(test)] mod name;`."""
    marked = {p for p in files if "tests" in p.relative_to(root).parts[:-1] or p.name == "tests.rs"}
    for path in files:
        text = blank_out(path.read_text(encoding="utf-8", errors="replace"))
        folder = path.parent if path.name in ("mod.rs", "lib.rs", "main.rs") else path.with_suffix("")
        for match in CFG_TEST_MOD.finditer(text):
            if match.group(2) == ";":
                name = match.group(1)
                marked |= {folder / f"{name}.rs", folder / name / "mod.rs"}
    return marked


def read_allow_list(path: Path) -> dict[str, str]:
    """`path::function` -> its comment; every entry must have one."""
    entries = {}
    for number, key, comment in allow_list_entries(path):
        if not comment:
            raise SystemExit(f"{path}:{number}: an entry needs a comment saying why: {key}")
        entries[key] = comment
    return entries


def check(root: Path, allow: dict[str, str], notes: list[str] | None = None) -> list[str]:
    """The failures (empty when every function is short enough or allowed)."""
    files = rust_files(root)
    tests = test_files(root, files)
    too_long: dict[str, list[Function]] = {}
    for path in files:
        source = path.read_text(encoding="utf-8", errors="replace")
        for function in functions(path.relative_to(root).as_posix(), source, path in tests):
            if function.lines > function.limit:
                too_long.setdefault(function.key, []).append(function)
    failures = []
    notes = [] if notes is None else notes
    for key, offenders in sorted(too_long.items()):
        for f in offenders:
            message = f"{f.path}:{f.line}: fn {f.name} is {f.lines} lines (limit {f.limit})"
            if key in allow:
                notes.append(f"allowed: {message} ({allow[key]})")
            else:
                failures.append(message)
    for key in sorted(set(allow) - set(too_long)):
        failures.append(f"{ALLOW_FILE.name}: {key} is no longer too long (or gone): remove it")
    return failures


def self_test() -> None:
    """Proves the check finds long functions and is not fooled by braces in literals."""
    def body(count: int) -> str:
        return "".join(f"    let _x{i} = '{{'; // }}\n" for i in range(count))

    def sized(name: str, lines: int, attribute: str = "") -> str:
        return f"{attribute}fn {name}() {{\n{body(lines - 2)}}}\n"

    source = (
        sized("ok_prod", 80)
        + sized("long_prod", 81)
        + sized("ok_test", 120, "#[tokio::test(flavor = \"multi_thread\")]\n")
        + sized("long_test", 121, "#[test]\n")
        + 'const S: &str = r#"fn fake() { "#;\n'
        + "trait T { fn declared(&self); }\n"
        + "#[cfg(test)]\nmod tests {\n" + sized("helper_in_tests", 100) + "}\n"
    )
    found = {f.name: f for f in functions("a.rs", source, test_file=False)}
    assert set(found) == {"ok_prod", "long_prod", "ok_test", "long_test", "helper_in_tests"}, found
    assert (found["ok_prod"].lines, found["ok_prod"].limit) == (80, PRODUCTION_LIMIT)
    assert found["long_prod"].lines == 81
    assert (found["ok_test"].lines, found["ok_test"].limit) == (120, TEST_LIMIT)
    assert found["long_test"].limit == TEST_LIMIT and found["long_test"].lines == 121
    assert found["helper_in_tests"].limit == TEST_LIMIT

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "src").mkdir()
        (root / "src" / "lib.rs").write_text(source + "#[cfg(test)]\nmod more;\n")
        (root / "src" / "more.rs").write_text(sized("long_helper_in_test_file", 110))
        failures = check(root, {})
        assert len(failures) == 2, failures
        assert any("fn long_prod is 81 lines" in f for f in failures), failures
        assert any("fn long_test is 121 lines" in f for f in failures), failures
        allowed = {"src/lib.rs::long_prod": "x", "src/lib.rs::long_test": "y"}
        assert check(root, allowed) == []
        stale = check(root, {**allowed, "src/lib.rs::ok_prod": "z"})
        assert stale == [f"{ALLOW_FILE.name}: src/lib.rs::ok_prod is no longer too long (or gone): remove it"], stale
    print("function_length self-test: ok")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    notes: list[str] = []
    if args.self_test:
        self_test()
        return 0
    failures = check(args.root.resolve(), read_allow_list(ALLOW_FILE), notes)
    for note in notes:
        print(note)
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        print(f"function_length: {len(failures)} problem(s); split the functions "
              f"(production <= {PRODUCTION_LIMIT} lines, tests <= {TEST_LIMIT})", file=sys.stderr)
        return 1
    print("function_length: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
