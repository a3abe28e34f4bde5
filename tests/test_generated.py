"""Plans generated from a known tree (tests/plangen.py), rendered as wrapped text, thuvienphapluat Markdown, Word
and PDF, must parse back to the tree: the same paragraphs, labels, heading chains, words and metadata.

One rendering: `pytest -q tests/test_generated.py -k md`. More trees: KHSEARCH_GEN_EXAMPLES=200. Smallest
failing trees: KHSEARCH_GEN_SHRINK=1 (slow). A failure names its kind (LostParagraph, MergedParagraphs,
WrongLabel, WrongDate, ...), prints the tree as an outline, and the source around the first difference.
"""
import difflib
import os
import tempfile
import unicodedata
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from khsearch.metadata import extract
from khsearch.parse import parse_paragraphs
from khsearch.read import read
from khsearch.records import Paragraph
from plangen import Layout, Para, layouts, plans, render, words

EXAMPLES = int(os.environ.get("KHSEARCH_GEN_EXAMPLES", "25"))
SHRINK = os.environ.get("KHSEARCH_GEN_SHRINK", "") not in ("", "0")  # minutes per failure kind: off by default
RENDERINGS = ["txt", "md", "docx", "pdf"]
COMPARED = ("heading", "item", "body", "table_header", "table_row")
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, print_blob=True, derandomize=not SHRINK,
                    phases=list(Phase) if SHRINK else [p for p in Phase if p != Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Mismatch(AssertionError):
    """The parse of a rendering differs from the tree it came from."""

    expected: tuple = ()  # the paragraphs of the tree where the difference is


# One class per kind of difference, so that Hypothesis shrinks and reports each kind on its own.
LostParagraph = type("LostParagraph", (Mismatch,), {"__doc__": "a paragraph of the tree is not content"})
ExtraParagraph = type("ExtraParagraph", (Mismatch,), {"__doc__": "content that is no paragraph of the tree"})
MergedParagraphs = type("MergedParagraphs", (Mismatch,), {"__doc__": "paragraphs of the tree run together"})
SplitParagraph = type("SplitParagraph", (Mismatch,), {"__doc__": "a paragraph of the tree cut in pieces"})
WrongWords = type("WrongWords", (Mismatch,), {"__doc__": "the words of a paragraph differ"})
WrongKind = type("WrongKind", (Mismatch,), {})
WrongLabel = type("WrongLabel", (Mismatch,), {})
WrongHeadings = type("WrongHeadings", (Mismatch,), {})
WrongTableHeader = type("WrongTableHeader", (Mismatch,), {})
NotVerbatim = type("NotVerbatim", (Mismatch,), {})
META_FIELDS = ("province", "number", "date", "type", "title", "signer")
WRONG_META = {f: type(f"Wrong{f.title()}", (Mismatch,), {}) for f in META_FIELDS}


def parsed(plan, layout: Layout, rendering: str):
    """(source, paragraphs, metadata) of the plan rendered one way and read back."""
    with tempfile.TemporaryDirectory() as folder:
        src = read(render(plan, layout, rendering, Path(folder)))
    paras = parse_paragraphs(src.text, "doc")
    return src, paras, extract(paras, src.text)


def said(p) -> Para:
    """What the parser said about a paragraph, in the terms of the tree."""
    return Para(p.kind, p.section, p.headings, words(unicodedata.normalize("NFC", p.plain)), p.table_header)


def show(paras) -> str:
    """Paragraphs as the failure messages list them: kind, label, (mark style), words, headings."""
    lines = []
    for p in paras:
        style = f" ({p.style})" if p.style else ""
        header = f" table_header={list(p.table_header)}" if p.table_header else ""
        lines.append(f"    [{p.kind} {p.section or '-'}{style}] {p.words[:110]!r}\n"
                     f"      headings={list(p.headings)}{header}")
    return "\n".join(lines) or "    (none)"


def context(src, paras, i: int) -> str:
    """The source text around the i-th compared paragraph."""
    if not paras:
        return src.text[:600]
    p = paras[min(i, len(paras) - 1)]
    return src.text[max(0, p.start - 250):p.end + 250]


def compare(expected: list[Para], src, paras) -> None:
    """Raise the Mismatch of the first difference, in reading order, between the tree and the parse."""
    for p in paras:
        if src.text[p.start:p.end] != p.text or p.text != p.text.strip():
            raise NotVerbatim(f"{p.id}: text is not the stripped slice [{p.start}:{p.end}] of the source")
    content = [p for p in paras if p.kind in COMPARED]
    got = [said(p) for p in content]
    matcher = difflib.SequenceMatcher(None, [e.words for e in expected], [g.words for g in got], autojunk=False)
    for op, e0, e1, g0, g1 in matcher.get_opcodes():
        exp, act = expected[e0:e1], got[g0:g1]
        where = (f"\n  expected:\n{show(exp)}\n  parser gave:\n{show(act)}\n  around it in the source:\n"
                 f"{context(src, content, g0)!s}\n")
        if op == "equal":
            for e, g in zip(exp, act):
                for attr, error in (("kind", WrongKind), ("section", WrongLabel), ("headings", WrongHeadings),
                                    ("table_header", WrongTableHeader)):
                    if getattr(e, attr) != getattr(g, attr):
                        raise located(error, [e])(
                            f"{attr}: expected {getattr(e, attr)!r}, parser gave {getattr(g, attr)!r}"
                            f"\n  expected:\n{show([e])}\n  parser gave:\n{show([g])}")
            continue
        want, have = " ".join(e.words for e in exp), " ".join(g.words for g in act)
        if not act:
            raise located(LostParagraph, exp)(f"{len(exp)} paragraph(s) of the tree are not content{where}")
        if not exp:
            raise located(ExtraParagraph, expected[max(0, e0 - 1):e0])(
                f"{len(act)} content paragraph(s) that the tree does not have{where}")
        if want == have:
            raise located(MergedParagraphs if len(act) < len(exp) else SplitParagraph, exp)(
                f"paragraph boundaries differ{where}")
        if want in have:
            raise located(MergedParagraphs, exp)(f"other text runs into paragraphs of the tree{where}")
        raise located(WrongWords, exp)(f"the words differ{where}")


def located(error_class, paras):
    """Make an error of `error_class` that remembers which paragraphs of the tree the difference is at."""
    def make(message):
        error = error_class(message)
        error.expected = tuple(paras)
        return error
    return make


def compare_metadata(plan, meta, paras=()) -> None:
    """Raise a Mismatch named after the first metadata field that differs from the tree's."""
    expected = plan.metadata
    around = "\n".join(f"    [{p.kind}] {' '.join(p.plain.split())[:110]!r}" for p in paras
                        if p.kind not in COMPARED)
    wrong = []
    for f in META_FIELDS:
        want, have = expected[f], getattr(meta, f)
        if f == "title" and have:
            have = " ".join(have.split())
        if f == "signer" and have:
            want, have = want.casefold(), have.casefold()
        if want != have:
            wrong.append(f)
    if wrong:  # named after the first wrong field; the message gives them all
        raise WRONG_META[wrong[0]]("\n".join(f"metadata {f}: expected {expected[f]!r}, got {getattr(meta, f)!r}"
                                             for f in wrong) + f"\n  the paragraphs that are not content:\n{around}")


# Open parser bugs the generator finds (kept visible, not hidden): each is reported as XFAIL until fixed.
KNOWN: dict[tuple[str, str], str] = {}


def _renderings(test: str):
    return [pytest.param(r, marks=pytest.mark.xfail(reason=KNOWN[test, r], strict=False)) if (test, r) in KNOWN
            else r for r in RENDERINGS]


@pytest.mark.parametrize("rendering", _renderings("paragraphs"))
@SETTINGS
@given(plan=plans(), layout=layouts)
def test_paragraphs_come_back(rendering, plan, layout):
    src, paras, _ = parsed(plan, layout, rendering)
    compare(plan.paragraphs, src, paras)


@pytest.mark.parametrize("rendering", _renderings("metadata"))
@SETTINGS
@given(plan=plans(), layout=layouts)
def test_metadata_comes_back(rendering, plan, layout):
    _, paras, meta = parsed(plan, layout, rendering)
    compare_metadata(plan, meta, paras)


def _echo(expected: list[Para]):
    """A source and the paragraphs a perfect parser would give for `expected`."""
    text, paras = "", []
    for i, e in enumerate(expected):
        start, text = len(text), text + e.words
        paras.append(Paragraph(f"doc:p{i:04d}", "doc", e.section, e.headings, e.words, start, len(text), e.kind,
                               e.table_header))
        text += "\n\n"
    return SimpleNamespace(text=text), paras


def test_the_comparison_sees_each_kind_of_difference():
    """A perfect parse passes; each kind of difference is caught and named (the checks are not vacuous)."""
    unique = lambda p: len(p.paragraphs) >= 4 and len({e.words for e in p.paragraphs}) == len(p.paragraphs)
    plan = find(plans(), unique,
                settings=settings(phases=[Phase.generate], database=None, derandomize=True))
    tree = plan.paragraphs
    compare(tree, *_echo(tree))
    first, second = tree[0], tree[1]
    joined = replace(first, words=f"{first.words} {second.words}")
    head, tail = first.words.split(" ", 1)
    parses = {WrongLabel: [first, replace(second, section=second.section + ".x")],
              WrongKind: [first, replace(second, kind="item" if second.kind == "body" else "body")],
              WrongHeadings: [first, replace(second, headings=("I. NHIỆM VỤ",))], MergedParagraphs: [joined],
              ExtraParagraph: [first, replace(first, words="2"), second], LostParagraph: [first],
              SplitParagraph: [replace(first, words=head), replace(first, words=tail), second],
              WrongWords: [replace(first, words=first.words[:-1]), second]}
    for error, start in parses.items():
        with pytest.raises(error):
            compare(tree, *_echo(start + tree[2:]))
    compare_metadata(plan, SimpleNamespace(**plan.metadata))
    with pytest.raises(WRONG_META["number"]):
        compare_metadata(plan, SimpleNamespace(**{**plan.metadata, "number": "1/KH-UBND"}))
