"""Config text whose sections leave out their parents (`[initialize.components.tagger.labels]` without
`[initialize.components]`): the missing parent sections are added, empty, before it is parsed; and a section
whose headers repeat with nothing under all but one of them (`[initialize.tokenizer]` appended to a config that
has it, empty) becomes one.

Why: thinc's parser refuses a section whose parent is not defined ("Section 'components' is not defined") and a
section defined twice, yet an empty parent or an empty repeat says nothing; users writing a config by hand, or
appending one block from the docs to a generated config, should not need to mind the empty headers.
"""
from __future__ import annotations

import re

_HEADER = re.compile(r"^\[(?P<name>[^\]\s]+)\][ \t]*(?:[#;].*)?$")


def add_parent_sections(text: str) -> str:
    """`text` with an empty `[parent]` header inserted before the first section that needs it, for every parent
    section not defined anywhere in the text, and without the repeats of a header that have nothing under them;
    text that needs neither is returned as it is."""
    lines = _drop_empty_repeats(text.splitlines(keepends=True))
    headers = [(i, m.group("name")) for i, line in enumerate(lines) if (m := _HEADER.match(line.rstrip("\r\n")))]
    defined = {name for _, name in headers}
    added: set[str] = set()
    inserts: dict[int, list[str]] = {}
    for index, name in headers:
        parts = name.split(".")
        if "*" in parts:  # thinc's positional-argument sections: their own rules
            continue
        for depth in range(1, len(parts)):
            parent = ".".join(parts[:depth])
            if parent not in defined and parent not in added:
                added.add(parent)
                inserts.setdefault(index, []).append(f"[{parent}]\n\n")
    if not inserts:
        return "".join(lines)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in inserts:
            if out and not out[-1].endswith("\n"):
                out[-1] += "\n"
            out.extend(inserts[i])
        out.append(line)
    return "".join(out)


def _drop_empty_repeats(lines: list[str]) -> list[str]:
    """The lines with a section given more than once, where at most one of its headers has settings under it,
    made one section at the place of its first header (so the sections under it still follow it)."""
    blocks: list[list[str]] = [[]]  # the lines before the first header, then one block per header
    for line in lines:
        if _HEADER.match(line.rstrip("\r\n")):
            blocks.append([])
        blocks[-1].append(line)
    by_name: dict[str, list[int]] = {}
    for i, block in enumerate(blocks[1:], 1):
        by_name.setdefault(_name(block[0]), []).append(i)
    for indexes in by_name.values():
        full = [i for i in indexes if not _empty_body(blocks[i][1:])]
        if len(indexes) < 2 or len(full) > 1:  # settings under two headers: thinc's own error names the line
            continue
        first = indexes[0]
        if full and full[0] != first:
            blocks[first] = [blocks[first][0], *blocks[full[0]][1:]]
        for i in indexes[1:]:
            blocks[i] = []
    return [line for block in blocks for line in block]


def _name(header: str) -> str:
    m = _HEADER.match(header.rstrip("\r\n"))
    assert m is not None
    return m.group("name")


def _empty_body(lines: list[str]) -> bool:
    return all(not line.strip() or line.lstrip().startswith(("#", ";")) for line in lines)


__all__ = ["add_parent_sections"]
