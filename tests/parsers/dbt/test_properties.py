"""YAML properties on graph nodes: descriptions, tests, owners, exposures and ML models."""

from __future__ import annotations

from dbt_case import diagnostics

from lineage_scan.model import ColumnRef
from lineage_scan.owners import parse_codeowners

PROPERTIES = """
version: 2
groups:
  - name: growth
    owner: {name: Growth, email: growth@example.com}
sources:
  - name: raw
    meta: {owner: platform@example.com}
    tables:
      - name: users
        description: App users.
        columns:
          - {name: id, description: User key., data_tests: [unique]}
          - {name: email, description: '{{ doc("email") }}'}
          - {name: plan}
models:
  - name: stg_users
    description: Users, cleaned.
    config: {group: growth, tags: [pii]}
    data_tests:
      - dbt_utils.expression_is_true: {expression: "id > 0"}
    columns:
      - name: id
        data_tests: [not_null, {relationships: {to: "ref('plans')", field: id}}]
        constraints: [{type: primary_key}]
      - name: plan
        data_type: text
exposures:
  - name: churn
    type: ml
    depends_on: ["ref('training')"]
    owner: {email: ml@example.com}
    meta: {target: training.label, exclude: [id], estimator: sklearn.linear_model.LogisticRegression}
  - name: board
    type: dashboard
    depends_on: ["ref('stg_users')", "source('raw', 'users')"]
"""

FILES = {
    "models/props.yml": PROPERTIES,
    "models/docs.md": "{% docs email %}Login e-mail.{% enddocs %}",
    "models/stg_users.sql": "{{ config(meta={'owner': 'ana@example.com'}) }} select id, email, plan from {{ source('raw', 'users') }}",
    "models/training.sql": "select id, plan, email as contact, 1 as label from {{ ref('stg_users') }}",
    "tests/no_free_users.sql": "select * from {{ ref('stg_users') }} where plan = 'free'",
    "/.github/CODEOWNERS": "*.sql @acme/all\n/proj/models/training.sql @acme/ml\n",
}


def test_model_documentation_tests_owners_and_attributes(dbt_scan) -> None:
    graph = dbt_scan(FILES).graph
    info = graph.relation("analytics.stg_users")
    assert info.description == "Users, cleaned."
    assert info.owners == ("@acme/all", "ana@example.com", "growth@example.com")
    assert info.tags == ("pii",)
    assert info.tests == ("dbt_utils.expression_is_true", "singular:no_free_users")
    attributes = dict(info.attributes)
    assert attributes["unique_id"] == "model.shop.stg_users" and attributes["materialized"] == "view"
    assert attributes["group"] == "growth"
    id_meta = graph.column_meta(ColumnRef("analytics.stg_users", "id"))
    assert id_meta.tests == ("constraint:primary_key", "not_null", "relationships(to=ref('plans'), field=id)")
    assert graph.column_meta(ColumnRef("analytics.stg_users", "plan")).data_type == "text"
    assert graph.column_meta(ColumnRef("analytics.stg_users", "plan")).tests == ("singular:no_free_users",)


def test_source_metadata_and_rendered_doc_blocks(dbt_scan) -> None:
    graph = dbt_scan(FILES).graph
    info = graph.relation("raw.users")
    assert info.kind.value == "source" and info.owners == ("platform@example.com",)
    assert graph.column_meta(ColumnRef("raw.users", "email")).description == "Login e-mail."


def test_pass_through_columns_inherit_descriptions_and_say_so(dbt_scan) -> None:
    graph = dbt_scan(FILES).graph
    assert graph.column_meta(ColumnRef("analytics.stg_users", "id")).description == "User key. (inherited from raw.users.id)"
    # two hops of identity: the text comes from the source, the note names the direct parent
    assert graph.column_meta(ColumnRef("analytics.training", "id")).description == (
        "User key. (inherited from analytics.stg_users.id)"
    )
    # a rename is not a pass-through
    assert graph.column_meta(ColumnRef("analytics.training", "contact")).description is None


def test_ml_exposure_becomes_an_ml_model_with_features_and_target(dbt_scan) -> None:
    result = dbt_scan(FILES)
    [model] = result.graph.ml_models()
    assert model.id == "dbt:shop.exposure.churn"
    assert model.target == ColumnRef("analytics.training", "label")
    assert model.features == (ColumnRef("analytics.training", "plan"), ColumnRef("analytics.training", "contact"))
    assert model.estimator == "sklearn.linear_model.LogisticRegression"
    tasks = {t.id: t for t in result.graph.tasks()}
    assert tasks["dbt:shop.exposure.churn"].upstream == ("dbt:shop.training",)
    assert tasks["dbt:shop.exposure.board"].reads == ("analytics.stg_users", "raw.users")
    assert tasks["dbt:shop.training"].upstream == ("dbt:shop.stg_users",)


def test_bad_yaml_is_a_diagnostic_not_a_crash(dbt_scan) -> None:
    result = dbt_scan({"models/bad.yml": "models: [\n", "models/ok.yml": "version: 2\nmodels: {name: x}\n",
                       "models/x.sql": "select 1 as a"})
    messages = diagnostics(result, "LS914")
    assert [(p, m.split(":")[0]) for p, _, m in messages] == [("proj/models/bad.yml", "invalid YAML"),
                                                             ("proj/models/ok.yml", "'models' should be a list; ignored")]
    assert result.graph.columns_of("analytics.x") == ("a",)


def test_codeowners_last_matching_rule_wins() -> None:
    owners = parse_codeowners("# comment\n*       @org/all\n/docs/  @org/docs  # inline\n*.md\nsrc/**/x.py @a @b\n")
    assert owners.owners_of("README.sql") == ("@org/all",)
    assert owners.owners_of("docs/guide.sql") == ("@org/docs",)
    assert owners.owners_of("docs/guide.md") == ()
    assert owners.owners_of("src/deep/er/x.py") == ("@a", "@b")
    assert owners.owners_of("other/docs/y.txt") == ("@org/all",)
