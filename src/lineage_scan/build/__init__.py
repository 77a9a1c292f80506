"""Merge parser fragments into one `LineageGraph`.

The passes run in this order (see `build_graph`): resolve relation names across files, collect
what each relation's columns are, expand stars and settle ambiguous sources with that knowledge,
then add everything to the graph.
"""

from lineage_scan.build.merge import build_graph, unsettled

__all__ = ["build_graph", "unsettled"]
