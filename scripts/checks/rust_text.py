"""Reading Rust source as text for the checks in this folder (Python 3.11 stdlib only).

`blank_out` replaces comments and the contents of string and character literals with
spaces, keeping every newline, so that braces, `fn`, `use` and paths can be found with
plain scanning and line numbers stay right.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def blank_out(source: str) -> str:
    """`source` with comments and literal contents blanked (newlines kept)."""
    out: list[str] = []
    i, n = 0, len(source)

    def keep_newlines(text: str) -> str:
        return "".join("\n" if c == "\n" else " " for c in text)

    while i < n:
        c = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end == -1 else end
            out.append(" " * (end - i))
            i = end
        elif source.startswith("/*", i):
            end = _block_comment_end(source, i)
            out.append(keep_newlines(source[i:end]))
            i = end
        elif c in "rbc" and not _ident_char_before(source, i) and _raw_or_prefixed_string(source, i):
            start, quote, end = _raw_or_prefixed_string(source, i)
            out.append(source[i:start] + keep_newlines(source[start:quote]) + source[quote:end])
            i = end
        elif c == '"':
            end = _string_end(source, i + 1)
            out.append('"' + keep_newlines(source[i + 1:end - 1]) + '"')
            i = end
        elif c == "'":
            end = _char_literal_end(source, i)
            if end is None:  # a lifetime or label
                out.append(c)
                i += 1
            else:
                out.append("'" + " " * (end - i - 2) + "'")
                i = end
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _ident_char_before(source: str, i: int) -> bool:
    return i > 0 and (source[i - 1].isalnum() or source[i - 1] == "_")


def _block_comment_end(source: str, i: int) -> int:
    depth, i = 0, i
    while i < len(source):
        if source.startswith("/*", i):
            depth += 1
            i += 2
        elif source.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return len(source)


def _string_end(source: str, i: int) -> int:
    """The index after the closing quote of a string whose contents start at `i`."""
    while i < len(source):
        if source[i] == "\\":
            i += 2
        elif source[i] == '"':
            return i + 1
        else:
            i += 1
    return len(source)


def _raw_or_prefixed_string(source: str, i: int) -> tuple[int, int, int] | None:
    """For `r"…"`, `r#"…"#`, `b"…"`, `br#"…"#`, `c"…"` at `i`: where its contents start,
    where its closing quote is, and the index after it."""
    j = i
    if source[j] in "bc":
        j += 1
    raw = j < len(source) and source[j] == "r"
    if raw:
        j += 1
    if j == i:
        return None
    hashes = 0
    while raw and j < len(source) and source[j] == "#":
        hashes += 1
        j += 1
    if j >= len(source) or source[j] != '"':
        return None
    if not raw:
        end = _string_end(source, j + 1)
        return j + 1, end - 1, end
    closing = '"' + "#" * hashes
    quote = source.find(closing, j + 1)
    if quote == -1:
        return j + 1, len(source), len(source)
    return j + 1, quote, quote + len(closing)


def _char_literal_end(source: str, i: int) -> int | None:
    """The index after a character literal starting at `i`, or None for a lifetime."""
    if i + 1 < len(source) and source[i + 1] == "\\":
        end = source.find("'", i + 2)
        return None if end == -1 else end + 1
    if i + 2 < len(source) and source[i + 2] == "'":
        return i + 3
    return None


def line_of(text: str, index: int) -> int:
    """The 1-based line number of `index` in `text`."""
    return text.count("\n", 0, index) + 1


def matching_brace(text: str, open_index: int) -> int:
    """The index of the `}` closing the `{` at `open_index` (in blanked text)."""
    depth = 0
    for k in range(open_index, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    return len(text) - 1


def rust_files(root: Path) -> list[Path]:
    """The `.rs` files git tracks (or would track) below `root`, else every one found."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.rs"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.split("\n")
        files = [root / name for name in listed if name]
    except (OSError, subprocess.CalledProcessError):
        files = list(root.rglob("*.rs"))
    skip = {"target", "node_modules", ".git"}
    return sorted(p for p in files if p.is_file() and not skip & set(p.relative_to(root).parts))


def allow_list_entries(path: Path) -> list[tuple[int, str, str]]:
    """The entries of an allow list, `entry  # why` a line (blank lines and `#` lines
    skipped): (line number, entry, why), each stripped. A missing file has none."""
    if not path.exists():
        return []
    entries = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            entry, _, why = line.partition("#")
            entries.append((number, entry.strip(), why.strip()))
    return entries
