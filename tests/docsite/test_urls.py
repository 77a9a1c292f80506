"""Site file names and anchors: safe whatever the name, distinct for distinct names, readable when possible."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from lineage_scan.report.html import urls


def test_plain_names_stay_readable() -> None:
    assert urls.relation_page("analytics.orders") == "relation/analytics.orders.html"
    assert urls.column_anchor("customer_id") == "c-customer_id"
    assert urls.findings_page("LS101") == "findings/ls101.html"


def test_unsafe_names_are_made_safe() -> None:
    for name in ("../../etc/passwd", "/abs", "a b", "<script>", "?", "", "CON", "x\x00y"):
        slug = urls.file_slug(name)
        assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", slug), slug
        assert "/" not in slug and not slug.startswith(".")


def test_names_differing_in_case_get_different_files() -> None:
    # quoted identifiers can make "Orders" and "orders" two relations; file systems may not tell them apart
    assert urls.file_slug("Orders").lower() != urls.file_slug("orders").lower()


@given(st.text(max_size=80), st.text(max_size=80))
def test_distinct_names_never_share_a_file_or_anchor(a: str, b: str) -> None:
    if a != b:
        assert urls.file_slug(a).lower() != urls.file_slug(b).lower()
        assert urls.column_anchor(a) != urls.column_anchor(b)
