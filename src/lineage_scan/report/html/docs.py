"""Rule docstrings (ruff style: `## What it does`, fenced examples) cut into blocks for the templates.

Only the Markdown the rule docstrings use: `#` headings, paragraphs, `-`/`*` lists, fenced code,
inline `code` and `**strong**`. The result is plain text in structures; the templates escape all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

Inline = tuple[tuple[str, str], ...]
"""Text pieces, each with its kind: `text`, `code` or `strong`."""


@dataclass(frozen=True)
class Block:
    kind: str
    """heading, paragraph, list or code."""
    text: str = ""
    pieces: Inline = ()
    items: tuple[Inline, ...] = ()


def blocks(doc: str) -> list[Block]:
    result: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []
    lines = doc.strip("\n").splitlines()

    def flush() -> None:
        if paragraph:
            result.append(Block("paragraph", pieces=inline(" ".join(paragraph))))
            paragraph.clear()
        if items:
            result.append(Block("list", items=tuple(inline(item) for item in items)))
            items.clear()

    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith("```"):
            flush()
            code = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith("```"):
                code.append(lines[index])
                index += 1
            result.append(Block("code", text="\n".join(code)))
        elif stripped.startswith("#"):
            flush()
            result.append(Block("heading", text=stripped.lstrip("#").strip()))
        elif stripped[:2] in ("- ", "* "):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        elif items:
            items[-1] += " " + stripped
        else:
            paragraph.append(stripped)
        index += 1
    flush()
    return result


def inline(text: str) -> Inline:
    """Text cut at backticks (odd pieces are code), the rest at `**` (odd pieces are strong)."""
    pieces: list[tuple[str, str]] = []
    for index, part in enumerate(_paired(text, "`")):
        if index % 2:
            pieces.append((part, "code"))
        else:
            pieces.extend((piece, "strong" if i % 2 else "text") for i, piece in enumerate(_paired(part, "**")))
    return tuple(piece for piece in pieces if piece[0])


def _paired(text: str, marker: str) -> list[str]:
    """``text`` split at ``marker``; an unpaired last marker stays in the text."""
    parts = text.split(marker)
    if len(parts) % 2 == 0:
        parts[-2:] = [parts[-2] + marker + parts[-1]]
    return parts
