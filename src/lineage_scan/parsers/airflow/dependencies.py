"""Task-to-task dependencies of a DAG file, with task groups replaced by their tasks.

`a >> group` makes the group's roots (its tasks with no upstream inside the group) wait for `a`, and
`group >> b` makes `b` wait for the group's leaves, as Airflow does. Groups are expanded innermost
first, so a group that contains other groups sees their tasks.
"""

from __future__ import annotations

from lineage_scan.parsers.airflow.dagfile import DagFile
from lineage_scan.parsers.airflow.values import GroupRef, TaskRef


def task_upstreams(dag_file: DagFile) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """For each task (dag id, task id), the tasks it waits for."""
    edges = {(_key(u), _key(d)) for u, d in dag_file.dependencies}
    groups = sorted(dag_file.groups.values(), key=lambda g: (-g.depth(dag_file.groups), g.dag_id, g.group_id))
    for group in groups:
        node = ("group", group.dag_id, group.group_id)
        members = {("task", t.dag_id, t.task_id) for t in dag_file.tasks.values()
                   if t.dag_id == group.dag_id and group.group_id in t.groups}
        inside = {(u, d) for u, d in edges if u in members and d in members}
        roots = {m for m in members if not any(d == m for _, d in inside)}
        leaves = {m for m in members if not any(u == m for u, _ in inside)}
        expanded = set()
        for up, down in edges:
            ups = leaves if up == node else {up}
            downs = roots if down == node else {down}
            expanded.update((u, d) for u in ups for d in downs if u != d)
        edges = expanded
    upstreams: dict[tuple[str, str], set[tuple[str, str]]] = {key: set() for key in dag_file.tasks}
    for up, down in edges:
        if up[0] == "task" and down[0] == "task" and (down[1], down[2]) in upstreams:
            upstreams[(down[1], down[2])].add((up[1], up[2]))
    return upstreams


def _key(endpoint: TaskRef | GroupRef) -> tuple[str, str, str]:
    if isinstance(endpoint, TaskRef):
        return ("task", endpoint.dag_id, endpoint.task_id)
    return ("group", endpoint.dag_id, endpoint.group_id)
