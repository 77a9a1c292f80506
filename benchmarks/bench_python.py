"""Benchmark the Python/notebook parsers on a generated repository of feature and training code.

The corpus mixes pandas jobs (embedded SQL, merges with a shared helper module, derived columns,
group-bys, `to_sql`, a `train_test_split` + `fit`), PySpark jobs (tables, windows, joins,
`saveAsTable`) and notebooks, in the proportions 3:2:1. Figures are printed, never asserted.

Usage: ``python benchmarks/bench_python.py --files 300 [--jobs N] [--keep DIR]`` (the fragment cache is off).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import tempfile
import time
from pathlib import Path

from lineage_scan import scan

HELPER = '''import pandas as pd


def load_dim_{k}(engine):
    return pd.read_sql_table("dim_{k}", engine, schema="wh", columns=["id", "segment", "region"])


def add_ratio(frame, numerator, denominator):
    frame["ratio"] = frame[numerator] / frame[denominator].clip(lower=1)
    return frame
'''

PANDAS_JOB = '''import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

from jobs.common_{k} import add_ratio, load_dim_{k}

FEATURES = {features}
SQL = """
SELECT id, {columns}, label
FROM wh.facts_{i}
WHERE ds >= '2024-01-01' AND {first} IS NOT NULL
"""


def build(engine):
    df = pd.read_sql(SQL, engine)
    df = df.merge(load_dim_{k}(engine), on="id", how="left")
    df = add_ratio(df, "{first}", "{second}")
    df["{third}_log"] = np.log1p(df["{third}"])
    summary = df.groupby("segment").agg(total=("{first}", "sum"), n=("id", "count")).reset_index()
    summary.to_sql("summary_{i}", engine, schema="mart", index=False)
    return df


def train(engine):
    df = build(engine)
    X = df[FEATURES + ["ratio", "{third}_log"]]
    y = df["label"]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2)
    model = RandomForestClassifier(n_estimators=200)
    model.fit(X_train, y_train)
    return model
'''

SPARK_JOB = '''from pyspark.sql import functions as F
from pyspark.sql.window import Window

w = Window.partitionBy("id").orderBy("ts")
events = spark.table("wh.events_{i}").filter(F.col("{first}") > 0)
ranked = (
    events.withColumn("rank", F.row_number().over(w))
    .withColumn("running", F.sum("{second}").over(w))
    .withColumnRenamed("{third}", "{third}_renamed")
)
dims = spark.table("wh.dim_{k}").select("id", "segment")
joined = ranked.join(dims, on="id", how="left").groupBy("segment").agg(F.avg("{first}").alias("avg_{first}"))
joined.write.mode("overwrite").saveAsTable("mart.spark_{i}")
'''

NOTEBOOK_CELLS = [
    "import pandas as pd\n%matplotlib inline",
    'df = pd.read_sql("SELECT * FROM mart.summary_{j}", con)\ndf.head()',
    'top = df.sort_values("total", ascending=False).head(10)\ntop.to_csv("reports/top_{i}.csv")',
]


def generate(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "__init__.py").write_text("")
    (root / "notebooks").mkdir()
    helpers = max(1, files // 20)
    for k in range(helpers):
        (root / "jobs" / f"common_{k}.py").write_text(HELPER.format(k=k))
    for i in range(files):
        k = rng.randrange(helpers)
        columns = [f"c{n}" for n in rng.sample(range(40), 8)]
        values = {"i": i, "k": k, "first": columns[0], "second": columns[1], "third": columns[2],
                  "columns": ", ".join(columns), "features": json.dumps(columns[:5])}
        kind = i % 6
        if kind < 3:
            (root / "jobs" / f"job_{i}.py").write_text(PANDAS_JOB.format(**values))
        elif kind < 5:
            (root / "jobs" / f"spark_{i}.py").write_text(SPARK_JOB.format(**values))
        else:
            cells = [c.format(i=i, j=max(0, i - 5)) for c in NOTEBOOK_CELLS]
            document = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                   "source": c.splitlines(keepends=True)} for c in cells],
                        "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
            (root / "notebooks" / f"explore_{i}.ipynb").write_text(json.dumps(document, indent=1))


def _cpu_seconds() -> float:
    """CPU time of this process and of the worker processes it waited for."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--jobs", type=int, default=1, help="parser processes (default 1, to measure the parser itself)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="lineage-scan-python-"))
    try:
        generate(root, args.files, args.seed)
        started, cpu = time.perf_counter(), _cpu_seconds()
        result = scan(root, jobs=args.jobs, cache=False)
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        analysed = [f for f in result.fragments if f.parser in ("python", "notebook")]
        edges = sum(1 for _ in result.graph.column_edges())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"files          {len(analysed)} Python modules and notebooks")
        print(f"scan           {elapsed:.2f} s wall, {cpu:.2f} s CPU ({len(analysed) / cpu:.0f} files per CPU second)")
        print(f"column edges   {edges:,}")
        print(f"tasks          {len(result.graph.tasks())}, ML models {len(result.graph.ml_models())}")
        print(f"diagnostics    {len(result.diagnostics)}")
        print(f"peak memory    {peak:.0f} MB")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
