"""Tool help in reStructuredText, rendered without raw HTML or file insertion."""

from __future__ import annotations

from nebula.web.ui.tool_help import render_help


def test_markup_becomes_html() -> None:
    html = render_help("**What it does**\n\nJoins *two* files::\n\n    chr1  10  20\n")

    assert "<strong>What it does</strong>" in html
    assert "<em>two</em>" in html
    assert "<pre" in html
    assert "chr1  10  20" in html


def test_raw_directive_is_not_obeyed() -> None:
    html = render_help("Text\n\n.. raw:: html\n\n   <script>alert(1)</script>\n")

    assert "<script>" not in html
    assert "alert(1)" not in html


def test_include_directive_reads_no_file() -> None:
    html = render_help("Text\n\n.. include:: /etc/hostname\n")

    assert "Text" in html
    assert "include" not in html


def test_html_in_text_is_escaped() -> None:
    html = render_help("A <b>bold</b> claim & more")

    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&amp; more" in html


def test_empty_help_renders_nothing() -> None:
    assert render_help("   ") == ""
