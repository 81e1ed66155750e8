"""Code blocks of a chat-style answer: fenced, indented, and bare code after prose.

Chat models wrap code in Markdown: a preamble ("Sure! Here is the function:"), one or more
fenced blocks (``` or ~~~, any or no language tag, inside lists or quotes), indented blocks,
and an explanation after. `code_blocks` finds the candidate blocks with the raw-text lines they
came from; `auditor.sanitize` chooses among them. Fences and indented blocks are found by
`markdown-it-py` (CommonMark rules: fence lengths, unclosed fences, list nesting), not by
regexes. Code that is not in a block at all (a preamble line, then a bare `def`) is found as
*bare* code: from a line that starts a definition or import to the end of its run of lines
outside fences (the sanitizer cuts it where it stops parsing, and looks for more code after).

Raw HTML is off: in CommonMark a line such as `<think>` opens an HTML block that swallows the
fence under it, and every later fence pairs up wrongly. Reasoning in `<think>...</think>`
(a reasoning model's drafts) is not part of the answer and is left out unless asked for. An
HTML comment `<!-- ... -->` outside code is left out always: rendered, it shows nothing; so
is a link reference definition (`[x]: <> "..."`, its title over several lines), which no
block shows. A `<think>` line inside a code block is code. A fence tagged `markdown` (a
whole answer wrapped once more) is read for the blocks inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from markdown_it import MarkdownIt
from markdown_it.token import Token

from auditor.io import NEWLINE

__all__ = [
    "CodeBlock",
    "code_blocks",
    "has_fence",
    "has_reasoning",
    "is_code_start",
    "looks_like_code",
]

# A line that may open a fence (CommonMark: up to 3 spaces, possibly inside quotes/lists).
_FENCE = re.compile(r"^[ \t>*+\-\d.)]*(?:```|~~~)", re.M)
# A line that starts top-level code: where bare code after a chat preamble begins.
_CODE_START = re.compile(r"(?:async[ \t]+def|def|class|import|from[ \t]+\S+[ \t]+import)\b|@\w")
# Reasoning: `<think>` at a line start to `</think>` or the end (an answer cut off while
# reasoning), or the start of the text to `</think>` (chat templates that put the opening
# tag in the prompt).
_REASONING = re.compile(
    r"^[ \t]*<think>.*?(?:</think>|\Z)|\A(?:(?!<think>).)*?</think>", re.S | re.M
)
# An HTML comment that opens a line (after quote or list markers): an HTML block, to its
# `-->` or, never closed, to the end. Only these can hide a fence: blocks are found before
# inline HTML, so a fence line interrupts a paragraph's inline comment, and a `<!--` in a
# code span or after a backslash is text (red team s18, B4: those cut out visible code).
_COMMENT = re.compile(r"^[ \t>*+\-\d.)]*(?P<open><!--(?:.*?-->|(?!.*?-->).*))", re.S | re.M)
# Re-parses after comments holding fences; past this many, the blocks found last stand.
_MAX_REPARSES = 32
# Tags of a fence that wraps a Markdown answer (its fences are the answer's).
_MARKDOWN_TAGS = frozenset({"markdown", "md"})


@dataclass(frozen=True)
class CodeBlock:
    """One block of code in a raw answer; its lines are raw lines first..last (1-based).

    `kind` is "fenced", "indented" or "bare"; `info` the fence's language tag ("" if none).
    Line i of `code` (0-based) is raw line `first_line + i`.
    """

    kind: str
    info: str
    first_line: int
    last_line: int
    code: str

    def describe(self) -> str:
        tag = f" ({self.info})" if self.info else ""
        span = (
            f"line {self.first_line}"
            if self.first_line >= self.last_line
            else f"lines {self.first_line}-{self.last_line}"
        )
        return f"{span}: {self.kind} code{tag}"


def has_fence(text: str) -> bool:
    """Cheap pre-check: does any line look like a code fence?"""
    return _FENCE.search(text) is not None


def has_reasoning(text: str) -> bool:
    """Does `text` hold `<think>` reasoning (which `code_blocks` leaves out by default)?"""
    return _REASONING.search(text) is not None


@cache
def _parser() -> MarkdownIt:
    # No raw HTML: a tag line (`<think>`, `<details>`) would open an HTML block that
    # swallows the fence below it. Chat answers hold code, not HTML.
    return MarkdownIt("commonmark", {"html": False})


def code_blocks(text: str, *, reasoning: bool = False, bare: bool = True) -> tuple[CodeBlock, ...]:
    """Fenced, indented and bare code blocks of `text`, in raw-line order.

    Code inside `<think>` reasoning is left out unless `reasoning`: drafts there are not
    the answer. The reasoning is cut out of its lines, so line numbers stay raw lines.
    Without `bare`, only the blocks a renderer shows as code: no bare code, and every
    indented block (bare code otherwise takes in those inside it, as function bodies).
    """
    return _blocks(_without_comments(text if reasoning else _without_reasoning(text)), bare)


def _without_reasoning(text: str) -> str:
    """`text` with `<think>` reasoning removed, its line breaks kept.

    A `<think>` line inside a fenced or indented block is code the reader sees (a string,
    a docstring), not reasoning: cut there, a visible final block vanished and an earlier
    draft was judged (red team s19)."""
    code: set[int] | None = None
    out: list[str] = []
    done = pos = 0
    while (m := _REASONING.search(text, pos)) is not None:
        if m.group().lstrip(" \t").startswith("<think>"):
            code = _code_lines(text) if code is None else code
            if text.count("\n", 0, m.start()) in code:  # a line of code: read on
                pos = text.find("\n", m.start()) + 1 or len(text)
                continue
        out += [text[done : m.start()], *NEWLINE.findall(m.group())]
        done = pos = m.end()
    return "".join([*out, text[done:]])


def _without_comments(text: str) -> str:
    """`text` with HTML comments outside code removed, their line breaks kept.

    Rendered Markdown (chat UIs, GitHub) shows nothing of `<!-- ... -->`, so a fence in
    one is no code the reader sees. In a fence or an indented block `<!--` is code text. A
    comment holding a fence line may have paired with a later fence, so the blocks are
    found again after it. Only a comment opening a line counts (`_COMMENT`); one never
    closed runs to the end.
    """
    code = _code_lines(text)
    start = 0
    parses = 0
    while (span := _comment_after(text, start, code)) is not None:
        start, end = span
        hidden = text[start:end]
        text = text[:start] + "".join(NEWLINE.findall(hidden)) + text[end:]
        if has_fence(hidden) and parses < _MAX_REPARSES:
            code = _code_lines(text)  # line numbers are unchanged, so `start` still holds
            parses += 1
    return text


def _comment_after(text: str, start: int, code: set[int]) -> tuple[int, int] | None:
    """The span of the first HTML comment at or after `start` whose `<!--` is on no line of
    `code`, or None."""
    while (m := _COMMENT.search(text, start)) is not None:
        begin = m.start("open")
        if text.count("\n", 0, begin) not in code:
            return begin, m.end()
        start = begin + 1  # `<!--` in code: a comment may still open inside the match
    return None


def _code_lines(text: str) -> set[int]:
    """0-based lines of fenced (with their fence lines) and indented code blocks.

    Counted on `\n`, as `_comment_after` counts: markdown-it reads `\r` line ends as
    `\n` too, and a stray lone `\r` only shifts which lines count as code.
    """
    return {
        i
        for tok in _parser().parse(text)
        if tok.map is not None and tok.type in ("fence", "code_block")
        for i in range(tok.map[0], tok.map[1])
    }


def _blocks(text: str, bare: bool = True) -> tuple[CodeBlock, ...]:
    """The blocks of `text`; those of a `markdown` fence are read inside it."""
    lines = _lines(text)
    fenced: list[CodeBlock] = []
    indented: list[CodeBlock] = []
    wrappers: list[CodeBlock] = []
    nested: list[CodeBlock] = []
    tokens = _parser().parse(text)
    for tok in tokens:
        block = _token_block(tok)
        if block is None:
            continue
        if block.kind == "fenced" and block.info.lower() in _MARKDOWN_TAGS:
            wrappers.append(block)
            nested += [_moved(b, block.first_line - 1) for b in _blocks(block.code, bare)]
        else:
            (fenced if block.kind == "fenced" else indented).append(block)
    if not bare:
        return tuple(sorted(fenced + indented + nested, key=lambda b: (b.first_line, b.kind)))
    outside = _outside(len(lines), fenced + wrappers, _hidden(lines, tokens))
    plain = [b for first, last in outside for b in _bare(lines, first, last)]
    # An indented block inside bare code is part of it (a function body after a blank line).
    indented = [b for b in indented if not any(_within(b, c) for c in plain)]
    blocks = fenced + indented + plain + nested
    return tuple(sorted(blocks, key=lambda b: (b.first_line, b.kind)))


def _token_block(tok: Token) -> CodeBlock | None:
    """The code block of a fence or indented-code token with code in it, else None."""
    if tok.map is None or tok.type not in ("fence", "code_block") or not tok.content.strip():
        return None
    start = tok.map[0] + (1 if tok.type == "fence" else 0)  # skip the opening fence line
    content = tok.content
    n = content.count("\n") + (0 if content.endswith("\n") else 1)
    kind = "fenced" if tok.type == "fence" else "indented"
    info = tok.info.strip().split(maxsplit=1)[0] if tok.info.strip() else ""
    return CodeBlock(kind, info, start + 1, start + n, content)


def _moved(block: CodeBlock, lines: int) -> CodeBlock:
    return replace(block, first_line=block.first_line + lines, last_line=block.last_line + lines)


def _lines(text: str) -> list[str]:
    """Lines with their endings, split where the tokenizer and markdown-it count lines."""
    out: list[str] = []
    pos = 0
    for m in NEWLINE.finditer(text):
        out.append(text[pos : m.end()])
        pos = m.end()
    out.append(text[pos:])  # the last line, maybe empty: markdown-it counts it too
    return out


def _within(inner: CodeBlock, outer: CodeBlock) -> bool:
    return outer.first_line <= inner.first_line and inner.last_line <= outer.last_line


def _hidden(lines: list[str], tokens: list[Token]) -> set[int]:
    """Raw lines (1-based) with text that no block of the rendered answer shows: link
    reference definitions (`[x]: <> "..."`), whose title may run over many lines. Bare
    code there was judged, while the reader saw nothing (red team s19)."""
    shown = {i for tok in tokens if tok.map is not None for i in range(*tok.map)}
    return {i + 1 for i, line in enumerate(lines) if line.strip() and i not in shown}


def _outside(n_lines: int, fenced: list[CodeBlock], hidden: set[int]) -> list[tuple[int, int]]:
    """Runs of raw lines (1-based, inclusive) outside fenced blocks and their fence lines,
    and not `hidden`."""
    taken = [False] * (n_lines + 2)
    for i in hidden:
        taken[i] = True
    for b in fenced:
        for i in range(b.first_line - 1, min(b.last_line + 1, n_lines) + 1):
            taken[i] = True  # the content and the two fence lines
    runs: list[tuple[int, int]] = []
    start = None
    for i in range(1, n_lines + 1):
        if not taken[i] and start is None:
            start = i
        elif taken[i] and start is not None:
            runs.append((start, i - 1))
            start = None
    if start is not None:
        runs.append((start, n_lines))
    return runs


def _bare(lines: list[str], first: int, last: int) -> list[CodeBlock]:
    """Bare code in raw lines first..last: from the first unindented code-start line on.

    Prose after or inside it is for the sanitizer to cut (with `is_code_start`), as it cuts
    any unparsable tail: it knows what parses.
    """
    begin = next((i for i in range(first, last + 1) if is_code_start(lines[i - 1])), None)
    if begin is None:
        return []
    return [CodeBlock("bare", "", begin, last, "".join(lines[begin - 1 : last]))]


def is_code_start(line: str) -> bool:
    """Does an unindented line start a definition or an import (where bare code begins)?"""
    return _CODE_START.match(line) is not None


_CODE_LINE = re.compile(
    r"[A-Za-z_][\w.]*\s*(?:[-+*/%&|^@]?=|\(|\[)|(?:if|for|while|try|with|return)\b"
)


def looks_like_code(line: str) -> bool:
    """Does a line start like a Python statement (a guess, for messages and prose breaks)?"""
    line = line.lstrip()
    return _CODE_LINE.match(line) is not None or is_code_start(line)
