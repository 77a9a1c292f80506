"""Generate a synthetic SQL warehouse repository for benchmarking lineage-scan.

The repository is one connected lineage graph in four layers, written in Snowflake SQL:

* ``raw/``: ``CREATE TABLE`` DDL with 10-40 typed columns;
* ``staging/``, ``marts/``, ``features/``: ``CREATE OR REPLACE TABLE|VIEW x AS`` statements reading
  tables of earlier files, with CTE chains, joins, aggregates, CASE, window functions, filters and
  ``SELECT *`` over earlier tables (stars that only a cross-file pass can expand), some followed by
  an ``INSERT INTO x (...) SELECT ...``.

Every derived statement reads at least one table of the component holding the first raw table, and
every raw table is read by a staging file, so the whole repository is one weakly connected graph.
The output is a pure function of ``files`` and ``seed``.

Usage: ``python benchmarks/generate_corpus.py --files 2000 --out /tmp/corpus --seed 0``
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

NUM, STR, TS, BOOL = "num", "str", "ts", "bool"
MAIN_KEY = "customer_id"
KEY_POOL = ("account_id", "order_id", "product_id", "store_id", "campaign_id", "session_id", "region_id")
VOCABULARY = {
    NUM: ("amount", "quantity", "price", "discount", "tax", "score", "duration_sec", "balance", "revenue",
          "cost", "weight", "rating", "clicks", "impressions", "units", "fee"),
    STR: ("status", "channel", "country_code", "currency", "category", "segment", "source", "plan", "device",
          "region_name", "email_domain", "sku", "reason", "tier"),
    TS: ("created_at", "updated_at", "event_ts", "paid_at", "shipped_at", "signup_at", "closed_at", "loaded_at"),
    BOOL: ("is_active", "is_test", "is_deleted", "has_discount", "is_refunded", "is_trial"),
}
DDL_TYPES = {
    NUM: ("NUMBER(12, 2)", "NUMBER(38, 0)", "FLOAT", "INTEGER"),
    STR: ("VARCHAR(16)", "VARCHAR(64)", "VARCHAR(256)", "TEXT"),
    TS: ("TIMESTAMP_NTZ", "TIMESTAMP_TZ", "DATE"),
    BOOL: ("BOOLEAN",),
}
TYPE_WEIGHTS = {NUM: 4, STR: 3, TS: 2, BOOL: 1}
STRING_VALUES = ("active", "paid", "web", "mobile", "US", "EU", "gold", "trial", "email", "retail")
ENTITIES = ("orders", "customers", "payments", "events", "sessions", "products", "invoices", "shipments",
            "tickets", "subscriptions", "refunds", "clicks", "campaigns", "stores", "accounts")
LAYERS = (  # (directory and schema, table prefixes, share of the non-raw files)
    ("staging", ("stg",), 0.40),
    ("marts", ("fct", "dim", "agg"), 0.35),
    ("features", ("feat",), 0.25),
)
MAX_STAR_WIDTH = 30
"""Relations wider than this are projected column by column rather than through a star."""


@dataclass
class Relation:
    """A table or CTE as the generator models it: its name and ordered columns with type categories."""

    name: str
    columns: dict[str, str]
    entity: str = ""

    @property
    def keys(self) -> list[str]:
        return [c for c in self.columns if c.endswith("_id")]

    def values(self, kind: str | None = None) -> list[str]:
        """Non-key columns, optionally of one type category."""
        return [c for c, t in self.columns.items() if not c.endswith("_id") and (kind is None or t == kind)]


@dataclass
class Corpus:
    """What `generate_corpus` wrote."""

    root: Path
    files: int = 0
    statements: int = 0
    files_by_layer: dict[str, int] = field(default_factory=dict)
    pipelines: dict[str, int] = field(default_factory=dict)
    """Counts of the non-SQL parts (`generate_pipelines.py`): dbt models, DAG files, Python modules."""


def fresh_name(name: str, taken: Collection[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is not taken yet."""
    candidate, suffix = name, 2
    while candidate in taken:
        candidate, suffix = f"{name}_{suffix}", suffix + 1
    return candidate


class Projection:
    """A SELECT list under construction: rendered items and the output columns they define."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.columns: dict[str, str] = {}

    def add(self, expression: str, name: str, kind: str) -> str:
        """Append `expression AS name` (name made unique) and return the output column's name."""
        name = fresh_name(name, self.columns)
        plain = expression == name or expression.endswith(f".{name}")
        self.items.append(expression if plain else f"{expression} AS {name}")
        self.columns[name] = kind
        return name

    def star(self, alias: str | None, source: Relation, exclude: Sequence[str] = ()) -> None:
        """`alias.*` (a bare `*` when ``alias`` is None), optionally with `EXCLUDE (...)`."""
        star = f"{alias}.*" if alias else "*"
        self.items.append(star + (f" EXCLUDE ({', '.join(exclude)})" if exclude else ""))
        self.columns.update({c: t for c, t in source.columns.items() if c not in exclude})


def render_select(
    projection: Projection,
    source: str,
    joins: Sequence[str] = (),
    where: Sequence[str] = (),
    group_by: Sequence[str] = (),
    having: str | None = None,
    qualify: str | None = None,
    indent: str = "",
) -> list[str]:
    """Lines of a formatted SELECT statement."""
    lines = ["SELECT"]
    lines += [f"    {item}{',' if i < len(projection.items) - 1 else ''}" for i, item in enumerate(projection.items)]
    lines.append(f"FROM {source}")
    lines += joins
    if where:
        lines.append(f"WHERE {where[0]}")
        lines += [f"    AND {condition}" for condition in where[1:]]
    if group_by:
        lines.append(f"GROUP BY {', '.join(group_by)}")
    if having:
        lines.append(f"HAVING {having}")
    if qualify:
        lines.append(f"QUALIFY {qualify}")
    return [indent + line for line in lines]


def derived_name(column: str, suffix: str) -> str:
    """`amount_sum` from `amount`; at most two words of the source name are kept, so names stay short."""
    return "_".join([*column.split("_")[:2], suffix])


class StatementBuilder:
    """Builds the SELECT bodies of one file's statements from random choices."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    # ----------------------------------------------------------------- expressions
    def literal(self) -> str:
        return f"'{self.rng.choice(STRING_VALUES)}'"

    def literals(self) -> str:
        """Two distinct string literals, comma-separated (an IN list)."""
        return ", ".join(f"'{value}'" for value in self.rng.sample(STRING_VALUES, 2))

    def condition(self, alias: str, relation: Relation) -> str:
        column = self.rng.choice(relation.values() or relation.keys)
        ref, kind = f"{alias}.{column}", relation.columns[column]
        options = {
            NUM: (f"{ref} > 0", f"{ref} IS NOT NULL", f"{ref} BETWEEN 0 AND 100000"),
            STR: (f"{ref} <> {self.literal()}", f"{ref} IN ({self.literals()})",
                  f"{ref} IS NOT NULL", f"{ref} LIKE 'a%'"),
            TS: (f"{ref} >= DATEADD('day', -365, CURRENT_DATE())", f"{ref} IS NOT NULL"),
            BOOL: (f"NOT {ref}", f"{ref} = TRUE"),
        }[kind]
        return self.rng.choice(options)

    def transform(self, alias: str, relation: Relation, column: str) -> tuple[str, str, str]:
        """(expression, output type, name suffix) of a scalar transformation of ``column``."""
        ref, kind = f"{alias}.{column}", relation.columns[column]
        other = self.rng.choice(relation.values(kind) or [column])
        other_ref = f"{alias}.{other}"
        options = {
            NUM: ((f"ROUND({ref} * 1.1, 2)", NUM, "adj"), (f"COALESCE({ref}, 0)", NUM, "filled"),
                  (f"{ref} / NULLIF({other_ref}, 0)", NUM, "ratio"), (f"ABS({ref} - {other_ref})", NUM, "diff")),
            STR: ((f"UPPER(TRIM({ref}))", STR, "norm"), (f"COALESCE({ref}, 'unknown')", STR, "filled"),
                  (f"CONCAT({ref}, '-', {other_ref})", STR, "key"), (f"SUBSTR({ref}, 1, 3)", STR, "prefix")),
            TS: ((f"DATE_TRUNC('month', {ref})", TS, "month"), (f"TO_DATE({ref})", TS, "date"),
                 (f"DATEDIFF('day', {ref}, CURRENT_TIMESTAMP())", NUM, "age_days"),
                 (f"DATEADD('day', 7, {ref})", TS, "next_week")),
            BOOL: ((f"IFF({ref}, 1, 0)", NUM, "flag"), (f"COALESCE({ref}, FALSE)", BOOL, "filled")),
        }[kind]
        return self.rng.choice(options)

    def case(self, alias: str, relation: Relation, column: str) -> tuple[str, str, str]:
        """(CASE expression, output type, name suffix) over ``column``."""
        ref, kind = f"{alias}.{column}", relation.columns[column]
        if kind == NUM:
            branches = f"WHEN {ref} >= 1000 THEN 'high' WHEN {ref} >= 100 THEN 'medium' WHEN {ref} > 0 THEN 'low'"
            return f"CASE {branches} ELSE 'none' END", STR, "band"
        if kind == STR:
            branches = f"WHEN {ref} IN ({self.literals()}) THEN 'group_a' WHEN {ref} IS NULL THEN 'missing'"
            return f"CASE {branches} ELSE 'other' END", STR, "group"
        if kind == TS:
            recent = f"{ref} >= DATEADD('day', -30, CURRENT_TIMESTAMP())"
            return f"CASE WHEN {recent} THEN 'recent' ELSE 'old' END", STR, "recency"
        numbers = relation.values(NUM)
        if numbers:
            amount = f"{alias}.{self.rng.choice(numbers)}"
            return f"CASE WHEN {ref} AND {amount} > 0 THEN {amount} ELSE 0 END", NUM, "if_set"
        return f"CASE WHEN {ref} THEN 'yes' ELSE 'no' END", STR, "label"

    def aggregate(self, alias: str, relation: Relation, column: str) -> tuple[str, str, str]:
        """(aggregate expression, output type, name suffix) over ``column``."""
        ref, kind = f"{alias}.{column}", relation.columns[column]
        options = {
            NUM: ((f"SUM({ref})", NUM, "sum"), (f"AVG({ref})", NUM, "avg"), (f"MIN({ref})", NUM, "min"),
                  (f"MAX({ref})", NUM, "max")),
            STR: ((f"COUNT(DISTINCT {ref})", NUM, "distinct"), (f"MAX({ref})", STR, "max")),
            TS: ((f"MAX({ref})", TS, "last"), (f"MIN({ref})", TS, "first")),
            BOOL: ((f"COUNT_IF({ref})", NUM, "count"), (f"SUM(CASE WHEN {ref} THEN 1 ELSE 0 END)", NUM, "count")),
        }[kind]
        return self.rng.choice(options)

    # ----------------------------------------------------------------- projections
    def pass_through(self, alias: str, relation: Relation, projection: Projection, low: int, high: int) -> None:
        """All keys, then a random subset of the other columns, a few of them renamed."""
        for key in relation.keys:
            projection.add(f"{alias}.{key}", key, relation.columns[key])
        values = relation.values()
        for column in self.rng.sample(values, min(len(values), self.rng.randint(low, high))):
            name = derived_name(column, "value") if self.rng.random() < 0.1 else column
            projection.add(f"{alias}.{column}", name, relation.columns[column])

    def keep_or_star(self, alias: str, relation: Relation, projection: Projection, star_chance: float) -> None:
        if len(relation.columns) <= MAX_STAR_WIDTH and self.rng.random() < star_chance:
            projection.star(alias, relation)
        else:
            self.pass_through(alias, relation, projection, 4, 12)

    # ----------------------------------------------------------------- CTE steps: (body lines, output)
    def filter_step(self, name: str, source: Relation, alias: str = "s") -> tuple[list[str], Relation]:
        projection = Projection()
        self.keep_or_star(alias, source, projection, star_chance=0.5)
        where = [self.condition(alias, source) for _ in range(self.rng.randint(1, 2))]
        return render_select(projection, f"{source.name} AS {alias}", where=where), Relation(name, projection.columns)

    def aggregate_step(self, name: str, source: Relation, alias: str = "s") -> tuple[list[str], Relation]:
        projection = Projection()
        others = [k for k in source.keys if k != MAIN_KEY]
        group = [MAIN_KEY, *self.rng.sample(others, min(1, len(others)))]
        for key in group:
            projection.add(f"{alias}.{key}", key, NUM)
        projection.add("COUNT(*)", "row_count", NUM)
        values = source.values()
        for column in self.rng.sample(values, min(len(values), self.rng.randint(2, 6))):
            expression, kind, suffix = self.aggregate(alias, source, column)
            projection.add(expression, derived_name(column, suffix), kind)
        where = [self.condition(alias, source)] if self.rng.random() < 0.5 else []
        having = "COUNT(*) > 1" if self.rng.random() < 0.3 else None
        body = render_select(projection, f"{source.name} AS {alias}", where=where,
                             group_by=[f"{alias}.{k}" for k in group], having=having)
        return body, Relation(name, projection.columns)

    def join_step(self, name: str, left: Relation, partners: Sequence[Relation]) -> tuple[list[str], Relation]:
        """``left`` joined to 1-3 partners on the main key (and another shared key, sometimes)."""
        projection = Projection()
        self.keep_or_star("l", left, projection, star_chance=0.6)
        joins: list[str] = []
        for index, partner in enumerate(partners, start=1):
            alias = f"j{index}"
            joins.append(f"{self.rng.choice(('JOIN', 'LEFT JOIN', 'INNER JOIN'))} {partner.name} AS {alias}")
            joins.append(f"    ON {alias}.{MAIN_KEY} = l.{MAIN_KEY}")
            shared = [k for k in partner.keys if k != MAIN_KEY and k in left.columns]
            if shared and self.rng.random() < 0.5:
                key = self.rng.choice(shared)
                joins.append(f"    AND {alias}.{key} = l.{key}")
            values = partner.values()
            for column in self.rng.sample(values, min(len(values), self.rng.randint(1, 4))):
                target = column if column not in projection.columns else f"{column}_{alias}"
                projection.add(f"{alias}.{column}", target, partner.columns[column])
        where = [self.condition("l", left)] if self.rng.random() < 0.4 else []
        body = render_select(projection, f"{left.name} AS l", joins=joins, where=where)
        return body, Relation(name, projection.columns)

    def window_step(self, name: str, source: Relation, alias: str = "w") -> tuple[list[str], Relation]:
        projection = Projection()
        self.keep_or_star(alias, source, projection, star_chance=0.7)
        partition = f"PARTITION BY {alias}.{MAIN_KEY}"
        ordering = source.values(TS) or source.values(NUM) or [MAIN_KEY]
        order = f"ORDER BY {alias}.{self.rng.choice(ordering)}"
        numbers = source.values(NUM)
        windows = [(f"ROW_NUMBER() OVER ({partition} {order} DESC)", "row_num")]
        for column in self.rng.sample(numbers, min(len(numbers), 3)):
            ref = f"{alias}.{column}"
            windows.append(self.rng.choice((
                (f"SUM({ref}) OVER ({partition})", derived_name(column, "total")),
                (f"LAG({ref}) OVER ({partition} {order})", derived_name(column, "prev")),
                (f"AVG({ref}) OVER ({partition} {order} ROWS BETWEEN 6 PRECEDING AND CURRENT ROW)",
                 derived_name(column, "rolling")),
                (f"RANK() OVER ({partition} ORDER BY {ref} DESC)", derived_name(column, "rank")),
            )))
        names = [projection.add(expression, label, NUM) for expression, label in windows]
        qualify = f"{names[0]} = 1" if self.rng.random() < 0.2 else None
        body = render_select(projection, f"{source.name} AS {alias}", qualify=qualify)
        return body, Relation(name, projection.columns)

    def case_step(self, name: str, source: Relation, alias: str = "c") -> tuple[list[str], Relation]:
        projection = Projection()
        self.pass_through(alias, source, projection, 3, 10)
        values = source.values()
        for column in self.rng.sample(values, min(len(values), self.rng.randint(1, 3))):
            expression, kind, suffix = self.case(alias, source, column)
            projection.add(expression, derived_name(column, suffix), kind)
        for column in self.rng.sample(values, min(len(values), self.rng.randint(1, 3))):
            expression, kind, suffix = self.transform(alias, source, column)
            projection.add(expression, derived_name(column, suffix), kind)
        return render_select(projection, f"{source.name} AS {alias}"), Relation(name, projection.columns)

    # ----------------------------------------------------------------- whole queries: (lines, output columns)
    def cte_chain(self, primary: Relation, partners: Sequence[Relation]) -> tuple[list[str], dict[str, str]]:
        """WITH 2-5 CTEs (a filter or aggregate, a join, then windows / CASE / filters), then a final SELECT."""
        count = self.rng.randint(2, 5)
        ctes: list[tuple[list[str], Relation]] = []
        first = self.filter_step if self.rng.random() < 0.7 else self.aggregate_step
        ctes.append(first("base", primary))
        partners = list(partners)
        if count >= 3 and self.rng.random() < 0.5:
            ctes.append(self.aggregate_step(f"agg_{partners[0].name.split('.')[-1]}", partners[0]))
            partners[0] = ctes[-1][1]
        ctes.append(self.join_step("joined", ctes[0][1], partners))
        steps = {"windowed": self.window_step, "scored": self.case_step, "filtered": self.filter_step,
                 "rolled_up": self.aggregate_step}
        while len(ctes) < count:
            label = self.rng.choice([s for s in steps if s not in {c[1].name for c in ctes}])
            ctes.append(steps[label](label, ctes[-1][1]))
        lines: list[str] = []
        for index, (body, relation) in enumerate(ctes):
            lines.append(f"{'WITH ' if index == 0 else ''}{relation.name} AS (")
            lines += ["    " + line for line in body]
            lines.append(")" if index == len(ctes) - 1 else "),")
        last = ctes[-1][1]
        if self.rng.random() < 0.4:
            return [*lines, f"SELECT * FROM {last.name}"], dict(last.columns)
        projection = Projection()
        self.pass_through("f", last, projection, 3, 20)
        values = last.values()
        if values:
            column = self.rng.choice(values)
            expression, kind, suffix = self.transform("f", last, column)
            projection.add(expression, derived_name(column, suffix), kind)
        where = [self.condition("f", last)] if self.rng.random() < 0.3 else []
        return [*lines, *render_select(projection, f"{last.name} AS f", where=where)], projection.columns

    def star_query(self, primary: Relation, partners: Sequence[Relation]) -> tuple[list[str], dict[str, str]]:
        """`SELECT *` (maybe EXCLUDE) over one earlier table, or `t.*` plus a few joined columns."""
        if partners:
            projection = Projection()
            projection.star("t", primary)
            partner = partners[0]
            values = partner.values()
            for column in self.rng.sample(values, min(len(values), self.rng.randint(1, 4))):
                target = column if column not in projection.columns else f"{column}_p"
                projection.add(f"p.{column}", target, partner.columns[column])
            joins = [f"LEFT JOIN {partner.name} AS p", f"    ON p.{MAIN_KEY} = t.{MAIN_KEY}"]
            return render_select(projection, f"{primary.name} AS t", joins=joins), projection.columns
        projection = Projection()
        values = primary.values()
        excluded = self.rng.sample(values, 1) if values and self.rng.random() < 0.3 else []
        projection.star(None, primary, excluded)
        where = [self.condition("t", primary)]
        return render_select(projection, f"{primary.name} AS t", where=where), projection.columns

    def joined_aggregate(self, primary: Relation, partners: Sequence[Relation]) -> tuple[list[str], dict[str, str]]:
        """A join of 2-4 tables grouped by the main key, without CTEs."""
        projection = Projection()
        projection.add(f"a.{MAIN_KEY}", MAIN_KEY, NUM)
        projection.add("COUNT(*)", "row_count", NUM)
        tables = [("a", primary)] + [(f"b{i}", p) for i, p in enumerate(partners, start=1)]
        joins: list[str] = []
        for alias, relation in tables:
            if alias != "a":
                joins += [f"{self.rng.choice(('JOIN', 'LEFT JOIN'))} {relation.name} AS {alias}",
                          f"    ON {alias}.{MAIN_KEY} = a.{MAIN_KEY}"]
            values = relation.values()
            for column in self.rng.sample(values, min(len(values), self.rng.randint(1, 3))):
                expression, kind, suffix = self.aggregate(alias, relation, column)
                projection.add(expression, derived_name(column, suffix), kind)
        where = [self.condition("a", primary)]
        lines = render_select(projection, f"{primary.name} AS a", joins=joins, where=where, group_by=[f"a.{MAIN_KEY}"])
        return lines, projection.columns

    def insert(self, target: Relation, source: Relation) -> list[str] | None:
        """`INSERT INTO target (...) SELECT ...` backfilling some of target's columns from ``source``."""
        fillable = [c for c in target.values() if source.values(target.columns[c])]
        if not fillable:
            return None
        columns = [k for k in target.keys if k in source.columns] + self.rng.sample(fillable, min(3, len(fillable)))
        projection = Projection()
        for column in columns:
            kind = target.columns[column]
            pick = column if source.columns.get(column) == kind else self.rng.choice(source.values(kind))
            projection.add(f"s.{pick}", column, kind)
        where = [self.condition("s", source)]
        return [f"INSERT INTO {target.name} ({', '.join(columns)})",
                *render_select(projection, f"{source.name} AS s", where=where)]


class UnionFind:
    """Connected components of tables, to keep the generated lineage graph in one piece."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        self.parent.setdefault(item, item)
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        self.parent[self.find(a)] = self.find(b)


def layer_sizes(files: int) -> list[tuple[str, int]]:
    """How many files each layer gets: ~15% raw, the rest split between the derived layers."""
    raw = max(1, round(files * 0.15))
    rest = files - raw
    sizes = [("raw", raw)]
    remaining = rest
    for index, (layer, _prefixes, share) in enumerate(LAYERS):
        size = remaining if index == len(LAYERS) - 1 else min(remaining, round(rest * share))
        if layer == "staging":
            size = min(rest, max(size, raw))
        sizes.append((layer, size))
        remaining -= size
    return sizes


class CorpusWriter:
    """Writes the corpus file by file, tracking every produced table and its columns."""

    def __init__(self, root: Path, seed: int):
        self.root = root
        self.rng = random.Random(seed)
        self.builder = StatementBuilder(self.rng)
        self.tables: dict[str, list[Relation]] = {"raw": [], "staging": [], "marts": [], "features": []}
        self.components = UnionFind()
        self.corpus = Corpus(root)
        self.sequence = 0

    def write(self, layer: str, table: str, statements: list[list[str]], header: str) -> None:
        self.sequence += 1
        path = self.root / layer / f"{table.split('.')[-1]}.sql"
        path.parent.mkdir(parents=True, exist_ok=True)
        body = "\n\n".join("\n".join(lines) + ";" for lines in statements)
        path.write_text(f"-- {header}\n-- generated by benchmarks/generate_corpus.py\n{body}\n", encoding="utf-8")
        self.corpus.files += 1
        self.corpus.statements += len(statements)
        self.corpus.files_by_layer[layer] = self.corpus.files_by_layer.get(layer, 0) + 1

    def raw_table(self) -> None:
        entity = self.rng.choice(ENTITIES)
        name = f"raw.{entity}_{self.sequence:05d}"
        columns: dict[str, str] = {MAIN_KEY: NUM}
        columns.update({k: NUM for k in self.rng.sample(KEY_POOL, self.rng.randint(1, 3))})
        width = self.rng.randint(10, 40)
        while len(columns) < width:
            kind = self.rng.choices(list(TYPE_WEIGHTS), list(TYPE_WEIGHTS.values()))[0]
            columns[fresh_name(self.rng.choice(VOCABULARY[kind]), columns)] = kind
        lines = [f"CREATE TABLE IF NOT EXISTS {name} ("]
        for index, (column, kind) in enumerate(columns.items()):
            ddl_type = "NUMBER(38, 0) NOT NULL" if column.endswith("_id") else self.rng.choice(DDL_TYPES[kind])
            if column == "loaded_at":
                ddl_type += " DEFAULT CURRENT_TIMESTAMP()"
            lines.append(f"    {column} {ddl_type}{',' if index < len(columns) - 1 else ''}")
        lines.append(")")
        self.tables["raw"].append(Relation(name, columns, entity))
        self.components.find(name)
        self.write("raw", name, [lines], f"raw {entity} as loaded by the ingestion pipeline")

    def pick(self, pool: Sequence[Relation]) -> Relation:
        """Half the time one of the 30 most recent tables (deep chains), else any earlier table."""
        return self.rng.choice(pool[-30:] if self.rng.random() < 0.5 else pool)

    def derived_table(self, layer: str, prefixes: tuple[str, ...], index: int) -> None:
        raw, staging, marts, features = (self.tables[k] for k in ("raw", "staging", "marts", "features"))
        pools = {
            "staging": (raw, raw + staging),
            "marts": (staging + marts, staging + marts),
            "features": (marts + features or staging, marts + staging + features),
        }
        primary_pool, partner_pool = pools[layer]
        primary = raw[index] if layer == "staging" and index < len(raw) else self.pick(primary_pool)
        shape = self.rng.choices(("chain", "star", "aggregate"), (0.7, 0.2, 0.1))[0]
        partners = [self.pick(partner_pool) for _ in range(self.rng.randint(1, 3))]
        partners = [p for i, p in enumerate(partners) if p is not primary and p not in partners[:i]] or [raw[0]]
        main = self.components.find(raw[0].name)
        connected = any(self.components.find(r.name) == main for r in [primary, *partners])
        if not connected:
            partners[-1] = self.pick([r for r in partner_pool if self.components.find(r.name) == main] or [raw[0]])
        if shape == "star":
            single = self.components.find(primary.name) == main and self.rng.random() < 0.6
            partners = [] if single else partners[-1:]
        query, columns = {"chain": self.builder.cte_chain, "star": self.builder.star_query,
                          "aggregate": self.builder.joined_aggregate}[shape](primary, partners)
        name = f"{layer}.{self.rng.choice(prefixes)}_{primary.entity}_{self.sequence:05d}"
        kind = "VIEW" if shape == "star" or self.rng.random() < 0.3 else "TABLE"
        statements = [[f"CREATE OR REPLACE {kind} {name} AS", *query]]
        target = Relation(name, columns, primary.entity)
        if kind == "TABLE" and self.rng.random() < 0.2:
            backfill = self.builder.insert(target, self.pick(partner_pool))
            if backfill is not None:
                statements.append(backfill)
        for source in [primary, *partners]:
            self.components.union(source.name, name)
        self.tables[layer].append(target)
        self.write(layer, name, statements, f"{layer} model built from {primary.name}")


def generate_corpus(
    out: Path, files: int, seed: int = 0, dbt_models: int = 0, dags: int = 0, python_modules: int = 0
) -> Corpus:
    """Write a repository of ``files`` SQL files (plus `lineage-scan.yml`) into the empty directory ``out``,
    optionally with a dbt project of ``dbt_models`` models, ``dags`` Airflow DAG files and
    ``python_modules`` pandas feature modules reading its tables (see `generate_pipelines.py`)."""
    if files < 1:
        raise ValueError("files must be at least 1")
    out.mkdir(parents=True, exist_ok=True)
    if any(out.iterdir()):
        raise ValueError(f"output directory is not empty: {out}")
    (out / "lineage-scan.yml").write_text("dialect: snowflake\n", encoding="utf-8")
    writer = CorpusWriter(out, seed)
    for layer, size in layer_sizes(files):
        for index in range(size):
            if layer == "raw":
                writer.raw_table()
            else:
                prefixes = next(p for name, p, _share in LAYERS if name == layer)
                writer.derived_table(layer, prefixes, index)
    if dbt_models or dags or python_modules:
        from generate_pipelines import PipelineWriter

        pipelines = PipelineWriter(out, writer.rng, writer.tables)
        if dbt_models:
            pipelines.dbt_project(dbt_models)
        pipelines.python_modules(python_modules)
        sql_files = sorted(p.relative_to(out).as_posix() for layer in writer.tables for p in (out / layer).glob("*.sql"))
        pipelines.dags(dags, [f for f in sql_files if not f.startswith("raw/")])
        writer.corpus.pipelines = {
            "dbt models": sum(len(models) for models in pipelines.models.values()),
            "DAG files": dags,
            "Python modules": python_modules,
        }
    return writer.corpus


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="number of SQL files (default 2000)")
    parser.add_argument("--out", type=Path, required=True, help="empty or missing output directory")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--dbt-models", type=int, default=0, help="also a dbt project of this many models (default 0)")
    parser.add_argument("--dags", type=int, default=0, help="also this many Airflow DAG files (default 0)")
    parser.add_argument("--python-modules", type=int, default=0, help="also this many pandas feature modules (default 0)")
    args = parser.parse_args(argv)
    corpus = generate_corpus(args.out, args.files, args.seed, args.dbt_models, args.dags, args.python_modules)
    layers = ", ".join(f"{n} {layer}" for layer, n in corpus.files_by_layer.items())
    extra = "".join(f", {n} {what}" for what, n in corpus.pipelines.items())
    print(f"wrote {corpus.files} SQL files ({layers}), {corpus.statements} statements{extra} to {corpus.root}")


if __name__ == "__main__":
    main()
