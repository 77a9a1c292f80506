"""The rule registry: every rule documented, uniquely named, and covered by its YAML cases."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lineage_scan.model import Severity
from lineage_scan.rules import RULES, find_rule
from lineage_scan.rules.rule import PRECISIONS, SECTIONS

CASES_DIR = Path(__file__).parent / "cases"


def test_ids_and_slugs_are_unique_and_well_formed() -> None:
    ids = [rule.id for rule in RULES]
    slugs = [rule.slug for rule in RULES]
    assert len(set(ids)) == len(ids)
    assert len(set(slugs)) == len(slugs)
    assert ids == sorted(ids), "the registry is in catalogue order"
    for rule in RULES:
        assert rule.id[:2] == "LS" and rule.id[2:].isdigit() and len(rule.id) == 5
        assert rule.slug == rule.slug.lower() and " " not in rule.slug


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_is_documented(rule) -> None:
    sections = rule.sections()
    assert list(sections) == list(SECTIONS), f"{rule.id}: sections {list(sections)}"
    assert all(body.strip() for body in sections.values()), f"{rule.id}: empty section"
    assert rule.title() and not rule.title().startswith("#")
    assert len(rule.summary()) <= 1024
    assert rule.level in Severity
    assert rule.precision in PRECISIONS
    assert rule.tags
    for option in rule.options:
        assert f"`{option}`" in sections["Configuration"], f"{rule.id}: option {option} undocumented"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_pass_and_fail_cases(rule) -> None:
    file = CASES_DIR / f"{rule.id}.yml"
    assert file.is_file(), f"missing {file}"
    cases = yaml.safe_load(file.read_text())["cases"]
    assert any(case.get("findings") for case in cases), f"{rule.id}: no case with findings"
    assert any(not case.get("findings") for case in cases), f"{rule.id}: no clean look-alike"


def test_rules_are_found_by_id_or_slug() -> None:
    assert find_rule("ls101").slug == "target-leakage"
    assert find_rule("orphan-table").id == "LS201"
    assert find_rule("LS999") is None
