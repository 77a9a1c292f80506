"""Benchmark the HTML docs site on a synthetic project: generation time, site size, largest page.

The project is built directly as a `LineageGraph` (no SQL is parsed): `--relations` relations in
layers (raw → staging → marts → features), `--columns` columns in all, each derived relation reading
1–4 relations of earlier layers, every column computed from 1–3 columns of what it reads, plus join
keys feeding every column as indirect (join) edges and a filter column per relation, so the column
graph has the fan-out of a real warehouse. A few raw tables are read very widely (hubs), which is
what makes neighbourhood caps matter. The output is a pure function of the arguments.

Usage: ``python benchmarks/bench_site.py --relations 5000 --columns 50000 [--keep DIR]``
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from lineage_scan.api import ScanResult
from lineage_scan.config import Config
from lineage_scan.graph import LineageGraph
from lineage_scan.model import Certainty, ColumnEdge, ColumnRef, EdgeKind, Location, RelationKind, RelationMeta
from lineage_scan.report.html import iter_site

LAYERS = (("raw", 0.15), ("staging", 0.35), ("marts", 0.3), ("features", 0.2))
DIRECT = (EdgeKind.IDENTITY, EdgeKind.RENAME, EdgeKind.TRANSFORM, EdgeKind.AGGREGATE)
HUBS = 5
"""Raw tables that a large share of staging reads (customers, events...)."""


def synthetic_project(relations: int, columns: int, seed: int) -> ScanResult:
    rng = random.Random(seed)
    graph = LineageGraph()
    names: list[tuple[str, list[str]]] = []
    layer_of: list[int] = []
    per_relation = max(2, columns // relations)
    for index in range(relations):
        fraction = index / relations
        cumulative, layer = 0.0, 0
        for layer, (_, share) in enumerate(LAYERS):
            cumulative += share
            if fraction < cumulative:
                break
        schema = LAYERS[layer][0]
        name = f"{schema}.t{index:05d}"
        width = max(2, int(rng.gauss(per_relation, per_relation / 3)))
        cols = ["id", *(f"c{k:03d}" for k in range(width - 1))]
        location = Location(f"{schema}/t{index:05d}.sql", 1, 1, 1, 10)
        graph.add_relation(name, RelationKind.TABLE if layer != 1 else RelationKind.VIEW, location, produced=True,
                           declared=layer == 0)
        graph.set_columns(name, tuple(cols))
        if index % 7 == 0:
            graph.add_metadata(RelationMeta(name, description=f"Synthetic relation {index}.", owners=(f"team-{index % 13}",)))
        if layer:
            earlier = [i for i, lay in enumerate(layer_of) if lay < layer]
            hubs = [i for i in range(min(HUBS, len(earlier)))] if layer == 1 and rng.random() < 0.4 else []
            sources = sorted(set(hubs[:1] + rng.sample(earlier[-2000:], min(len(earlier), rng.randint(1, 4)))))
            for column in cols:
                for source in rng.sample(sources, min(len(sources), rng.randint(1, 3))):
                    source_name, source_cols = names[source]
                    graph.add_edge(ColumnEdge(ColumnRef(source_name, rng.choice(source_cols)), ColumnRef(name, column),
                                              rng.choice(DIRECT), Certainty.RESOLVED if rng.random() < 0.95 else Certainty.INFERRED,
                                              location))
            for source in sources:
                source_name, _ = names[source]
                for column in cols:
                    graph.add_edge(ColumnEdge(ColumnRef(source_name, "id"), ColumnRef(name, column), EdgeKind.JOIN,
                                              Certainty.RESOLVED, location))
        names.append((name, cols))
        layer_of.append(layer)
    return ScanResult(root=Path(tempfile.gettempdir()) / "synthetic-project-not-on-disk", config=Config(), files=[],
                      graph=graph, fragments=[], diagnostics=[])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relations", type=int, default=5000)
    parser.add_argument("--columns", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="write the site into this directory")
    args = parser.parse_args()

    started = time.perf_counter()
    result = synthetic_project(args.relations, args.columns, args.seed)
    built = time.perf_counter()
    sizes: dict[str, int] = {}
    for path, text in iter_site(result):  # streamed, as the CLI writes it: the site is never all in memory
        data = text.encode("utf-8")
        sizes[path] = len(data)
        if args.keep:
            target = args.keep / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    rendered = time.perf_counter()
    graph = result.graph
    column_count = sum(len(graph.columns_of(r)) for r in graph.relations())
    edge_count = sum(1 for _ in graph.column_edges())
    by_kind: Counter[str] = Counter()
    bytes_by_kind: Counter[str] = Counter()
    for path, size in sizes.items():
        kind = path.split("/")[0] if "/" in path else "(top)"
        if path.startswith("data/"):
            kind = "/".join(path.split("/")[:2])
        by_kind[kind] += 1
        bytes_by_kind[kind] += size
    pages = {p: s for p, s in sizes.items() if p.endswith(".html")}
    largest_page = max(pages, key=pages.get)
    largest_data = max((p for p in sizes if p.startswith("data/")), key=sizes.get)
    print(f"python {sys.version.split()[0]}, seed {args.seed}")
    print(f"project: {len(graph.relations())} relations, {column_count} columns, {edge_count} column edges "
          f"(built in {built - started:.1f} s)")
    print(f"generation: {rendered - built:.1f} s for {len(sizes)} files "
          f"({(rendered - built) / max(1, len(graph.relations())) * 1000:.1f} ms per relation)")
    print(f"site size: {sum(sizes.values()) / 1e6:.1f} MB")
    for kind in sorted(by_kind):
        print(f"  {kind:<14} {by_kind[kind]:>6} files {bytes_by_kind[kind] / 1e6:>8.1f} MB")
    relation_pages = sorted(size for path, size in pages.items() if path.startswith("relation/"))
    print(f"largest page: {largest_page} {pages[largest_page] / 1e3:.0f} kB; "
          f"median relation page {relation_pages[len(relation_pages) // 2] / 1e3:.0f} kB")
    print(f"largest data file: {largest_data} {sizes[largest_data] / 1e3:.0f} kB")
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if args.keep:
        print(f"wrote {args.keep}")

if __name__ == "__main__":
    main()
