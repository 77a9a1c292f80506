"""The rules engine around the rules: config settings, path excludes, suppressions, configured models."""

from __future__ import annotations

import pytest

from lineage_scan import scan
from lineage_scan.config import ConfigError
from lineage_scan.model import Severity
from lineage_scan.rules.rule import RuleContext

ORPHAN = "CREATE TABLE marts.old AS SELECT id FROM raw.t;\n"  # raw.t is dangling (LS202) too


def _orphans(result) -> list:
    return [f for f in result.findings if f.rule == "LS201"]


def _rules(result) -> list[tuple[str, str, bool]]:
    return [(f.key, f.level.value, f.suppressed) for f in _orphans(result)]


def test_rules_can_be_disabled_by_id_or_slug_and_their_level_changed(make_repo) -> None:
    root = make_repo({"old.sql": ORPHAN})
    assert _rules(scan(root)) == [("LS201|marts.old", "warning", False)]
    assert _rules(scan(root, {"rules": {"orphan-table": False}})) == []
    assert _rules(scan(root, {"rules": {"LS201": {"enabled": False}}})) == []
    assert _rules(scan(root, {"rules": {"LS201": "error"}})) == [("LS201|marts.old", "error", False)]
    assert _rules(scan(root, {"rules": {"LS201": {"level": "note"}}})) == [("LS201|marts.old", "note", False)]


def test_path_excludes_drop_findings_globally_and_per_rule(make_repo) -> None:
    root = make_repo({"legacy/old.sql": ORPHAN, "marts/new.sql": "CREATE TABLE marts.new AS SELECT id FROM raw.t;\n"})
    assert [f.key for f in _orphans(scan(root, {"rules": {"exclude": ["legacy/"]}}))] == ["LS201|marts.new"]
    assert [f.key for f in _orphans(scan(root, {"rules": {"LS201": {"exclude": ["marts/**"]}}}))] == ["LS201|marts.old"]
    # excluded from the rules only: the lineage is still there
    assert scan(root, {"rules": {"exclude": ["legacy/"]}}).graph.has_relation("marts.old")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ({"LS999": False}, "'rules.LS999' is not a rule"),
        ({"LS201": {"level": "fatal"}}, "level must be one of error, warning, note"),
        ({"LS201": {"colour": "red"}}, "unknown option 'colour'"),
        ({"LS101": {"indirect": "yes"}}, "indirect must be true or false"),
        ({"LS103": {"after_outcome": "raw.refunds"}}, "after_outcome must be a list of strings"),
        ({"LS201": False, "orphan-table": True}, "configured twice"),
        ({"exclude": "legacy/**"}, "'rules.exclude' must be a list of strings"),
        ({"LS103": {"time_columns": "(_at"}}, "time_columns: not a regular expression"),
        ({"LS201": {"kinds": ["table", "tabel"]}}, "unknown relation kind"),
    ],
)
def test_invalid_rule_settings_are_config_errors(make_repo, rules, message) -> None:
    root = make_repo({"a.sql": ORPHAN})
    with pytest.raises(ConfigError, match=message):
        scan(root, {"rules": rules})


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"ml": {"models": [{"name": "m", "relation": "t"}]}}, r"ml.models\[0\]'.target is required"),
        ({"ml": {"models": [{"name": "m", "target": "y"}]}}, "relation is required"),
        ({"ml": {"models": [{"name": "m", "relation": "t", "target": "y", "label": "y"}]}}, "unknown key"),
        ({"ml": {"models": [{"name": "m", "relation": "t", "target": "y"}] * 2}}, "declared twice"),
        ({"external": {"producers": "raw.*"}}, "must be a list of strings"),
        ({"external": {"readers": []}}, "'external' must be a mapping with 'producers'"),
    ],
)
def test_invalid_ml_and_external_sections_are_config_errors(make_repo, section, message) -> None:
    root = make_repo({"a.sql": ORPHAN})
    with pytest.raises(ConfigError, match=message):
        scan(root, section)


def test_configured_model_on_a_missing_relation_is_a_diagnostic(make_repo) -> None:
    root = make_repo({
        "lineage-scan.yml": "ml:\n  models:\n    - {name: churn, relation: ml.trainig_set, target: label}\n",
        "t.sql": "CREATE TABLE ml.training_set AS SELECT id, x, label FROM raw.e;\n",
    })
    result = scan(root)
    assert result.graph.ml_models() == []
    [diagnostic] = [d for d in result.diagnostics if d.code == "LS908"]
    assert "relation 'ml.trainig_set' is not produced or read" in diagnostic.message
    assert (diagnostic.location.path, diagnostic.location.start_line) == ("lineage-scan.yml", 3)


def test_configured_model_resolves_names_like_the_dialect(make_repo) -> None:
    root = make_repo({
        "lineage-scan.yml": (
            "dialect: snowflake\nml:\n  models:\n"
            "    - {name: churn, relation: TRAINING_SET, target: LABEL, keys: [ID], exclude: [NOTES]}\n"
        ),
        "t.sql": "CREATE TABLE ml.training_set AS SELECT id, x, notes, label FROM raw.e;\n",
    })
    [model] = scan(root).graph.ml_models()
    assert model.id == "config:churn"
    assert [str(f) for f in model.features] == ["ml.training_set.x"]
    assert str(model.target) == "ml.training_set.label"
    assert [str(k) for k in model.keys] == ["ml.training_set.id"]
    assert model.location is not None and model.location.path == "lineage-scan.yml"


def test_suppressions_in_jinja_and_block_comments_with_several_rules(make_repo) -> None:
    root = make_repo({
        "a.sql": "{# lineage-scan: ignore[LS202, orphan-table] vendor feed #}\nCREATE TABLE marts.a AS SELECT id FROM vendor.feed;\n",
        "b.sql": "/* lineage-scan: ignore[LS201] */\n-- built for the audit\nCREATE TABLE marts.b AS SELECT id FROM raw.t;\n",
    })
    result = scan(root, {"external": {"producers": ["raw.*"]}})
    by_key = {f.key: f for f in result.findings}
    assert sorted(by_key) == ["LS201|marts.a", "LS201|marts.b", "LS202|vendor.feed"]
    assert by_key["LS201|marts.a"].suppression.reason == "vendor feed"
    assert by_key["LS202|vendor.feed"].suppressed
    # a comment line between the directive and the statement is allowed; the reason is optional
    assert by_key["LS201|marts.b"].suppressed and by_key["LS201|marts.b"].suppression.reason is None


def test_block_comment_before_code_on_the_same_line(make_repo) -> None:
    root = make_repo({
        "c.sql": "SELECT 1;\n/* lineage-scan: ignore[LS201] kept for audits */ CREATE TABLE marts.c AS SELECT id FROM raw.t;\n"
                 "CREATE TABLE marts.d AS SELECT id FROM raw.t;\n",
    })
    by_key = {f.key: f for f in _orphans(scan(root))}
    assert by_key["LS201|marts.c"].suppression.reason == "kept for audits"
    assert not by_key["LS201|marts.d"].suppressed  # the directive is for its own line, not the next


def test_suppression_of_an_unknown_rule_is_a_diagnostic(make_repo) -> None:
    root = make_repo({"a.sql": "-- lineage-scan: ignore[LS2O1] typo in the id\n" + ORPHAN})
    result = scan(root)
    assert [f.suppressed for f in _orphans(result)] == [False]
    [diagnostic] = [d for d in result.diagnostics if d.code == "LS909"]
    assert "unknown rule 'LS2O1'" in diagnostic.message
    assert diagnostic.severity == Severity.WARNING


def test_suppression_needs_a_comment_and_the_right_rule(make_repo) -> None:
    root = make_repo({
        "a.sql": "CREATE TABLE marts.a AS SELECT 'lineage-scan: ignore[LS201]' AS note FROM raw.t;\n",
        "b.sql": "-- lineage-scan: ignore[LS202]\n" + "CREATE TABLE marts.b AS SELECT id FROM raw.t;\n",
    })
    assert [f.suppressed for f in _orphans(scan(root))] == [False, False]


def test_findings_are_deterministic_and_sorted(make_repo) -> None:
    root = make_repo({"z.sql": ORPHAN, "a.sql": "CREATE TABLE marts.a AS SELECT id FROM raw.missing;\n"})
    first, second = scan(root).findings, scan(root).findings
    assert first == second
    assert [f.key for f in first] == ["LS201|marts.a", "LS201|marts.old", "LS202|raw.missing", "LS202|raw.t"]


def test_the_rules_share_one_relation_info_per_relation(make_repo) -> None:
    graph = scan(make_repo({"old.sql": ORPHAN})).graph
    context = RuleContext(graph)
    info = context.relation("marts.old")
    assert info == graph.relation("marts.old") and info.columns == ("id",)
    assert context.relation("marts.old") is info
    assert RuleContext(graph).relation("marts.old") is not info  # one memo per run of the rules
