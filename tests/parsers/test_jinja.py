"""The shared sandboxed renderer refuses escapes and stops runaway templates."""

from __future__ import annotations

import jinja2

from lineage_scan.parsers.jinja import render, sandbox


def test_renders_plain_templates() -> None:
    out = render(sandbox(), "select {{ cols | join(', ') }} from {{ t }}", {"cols": ["a", "b"], "t": "x"})
    assert out.text == "select a, b from x"
    assert out.errors == []


def test_python_internals_are_refused() -> None:
    out = render(sandbox(), "{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
    assert out.text is None
    assert "sandbox" in out.errors[0] or "unsafe" in out.errors[0]


def test_include_without_a_loader_fails_softly() -> None:
    out = render(sandbox(), "{% include '/etc/passwd' %}", {})
    assert out.text is None
    assert out.errors and "passwd" in out.errors[0]


def test_runaway_loops_and_output_are_bounded() -> None:
    slow = render(sandbox(), "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", {},
                  seconds=0.5)
    assert slow.text is None and "stopped" in slow.errors[0]
    big = render(sandbox(), "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}", {}, max_chars=10_000)
    assert big.text is None and "exceeds" in big.errors[0]


def test_syntax_errors_and_undefined_calls_are_messages() -> None:
    assert "syntax" in render(sandbox(), "{% if %}", {}).errors[0]
    failed = render(sandbox(undefined=jinja2.StrictUndefined), "{{ missing_macro() }}", {})
    assert failed.text is None and "missing_macro" in failed.errors[0]


def test_arithmetic_cannot_allocate_without_bound() -> None:
    for source in ("{{ 'x' * 10**10 }}", "{{ [1] * 10000000000 }}", "{{ n ** m }}", "{{ 2 ** 100000000 }}"):
        out = render(sandbox(), source, {"n": 7, "m": 10**9}, seconds=2)
        assert out.text is None and "sandbox" in out.errors[0], source
    assert render(sandbox(), "{{ 'ab' * 3 }}-{{ 2 ** 10 }}", {}).text == "ababab-1024"
