"""Markdown markup in plan files, masked without moving a character: offsets into the masked text are offsets
into the file, so a citation stays a verbatim slice of it while parsing and answers see plain words."""
from __future__ import annotations

import re

# Emphasis runs ('**', '__', and '*' against a word), escapes ('\.'), heading marks ('# ') and
# backtick runs are markup; a '* ' or '- ' at the start of a line is a list mark and stays.
_MARKUP = re.compile(
    r"\*{2,}|_{2,}"  # bold and its debris: '**4.****', '** **', '__'
    r"|(?<!^)(?<![ \t])\*|\*(?![ \t\n])"  # '*' touching a word on one side: '*Hà Nội', 'năm 2025*'
    r"|^[ \t]*\*(?=[ \t][^*\n]*[^\s*]\*[ \t]*$)"  # '* (Ban hành kèm theo ...)*' is emphasis, not a bullet
    r"|\\(?=[\\`*_{}\[\]()#+\-.!|<>~])"  # backslash escapes
    r"|^[ \t]*#{1,6}(?=[ \t]|$)"  # heading marks
    r"|`+"
    r"|\f|^[ \t]*(?:-[ \t]*)?(?:Trang[ \t]+)?\d{1,3}(?:[ \t]*/[ \t]*\d{1,3})?(?:[ \t]*-)?[ \t]*$(?=\n[ \t]*\f)"
    r"|(?<=\f\n)[ \t]*(?:-[ \t]*)?(?:Trang[ \t]+)?\d{1,3}(?:[ \t]*/[ \t]*\d{1,3})?(?:[ \t]*-)?[ \t]*$"
    r"", re.MULTILINE)  # a PDF's page breaks and the page numbers printed beside them
_SIGNS = re.compile(r"\*\*|(?m:^\s*\|\s*$)|^#{1,6} |\\[.\-*_#()\[\]]|(?<=\w)\*\s|\s\*(?=\w)", re.MULTILINE)


def is_markdown(text: str) -> bool:
    """Whether a text carries Markdown markup (bold runs, lone '|' cell lines, '#' headings, escapes)."""
    sample = text[:200_000]
    return len(_SIGNS.findall(sample)) >= 3


def plain(text: str) -> str:
    """The text with Markdown markup replaced by spaces: same length, same offsets, same line breaks."""
    if not any(c in text for c in "*_\\#`\f"):
        return text
    return _MARKUP.sub(lambda m: " " * len(m.group(0)), text)
