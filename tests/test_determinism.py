"""Same repository in, byte-identical JSON, SARIF and site out, whatever the hash seed, file order or jobs."""

from __future__ import annotations

import os
import subprocess
import sys

from repo_paths import EXAMPLE_REPO, REPO_ROOT

SCRIPT = "from lineage_scan import scan; from lineage_scan.report.json import render_json; import sys; sys.stdout.write(render_json(scan(sys.argv[1], cache=False)))"


def test_json_is_identical_across_hash_seeds() -> None:
    outputs = set()
    for seed in ("0", "1", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT / "src")}
        run = subprocess.run([sys.executable, "-c", SCRIPT, str(EXAMPLE_REPO)], env=env, capture_output=True, text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1


EVERY_OUTPUT = """
import hashlib, sys
from lineage_scan import scan
from lineage_scan.report.html import render_site
from lineage_scan.report.json import render_json
from lineage_scan.report.sarif import render_sarif
result = scan(sys.argv[1], cache=False, jobs=int(sys.argv[2]))
digest = hashlib.sha256(render_json(result).encode() + render_sarif(result).encode())
for path, text in sorted(render_site(result).items()):
    digest.update(path.encode() + b"\\0" + text.encode())
print(digest.hexdigest())
"""


def _copy_in_order(source, target, reverse: bool) -> None:
    """Copy a tree creating files in the given order, so directory listings come back in another order."""
    for path in sorted(source.rglob("*"), reverse=reverse):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())


def test_json_sarif_and_site_are_identical_across_file_orders_seeds_and_jobs(tmp_path) -> None:
    outputs = set()
    for seed, reverse, jobs in (("0", False, "1"), ("1", True, "2"), ("777", True, "1")):
        root = tmp_path / f"copy-{seed}" / "repo"  # the folder name is shown in the site
        _copy_in_order(EXAMPLE_REPO, root, reverse)
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(REPO_ROOT / "src"),
               "XDG_CACHE_HOME": str(tmp_path / "cache")}
        run = subprocess.run([sys.executable, "-c", EVERY_OUTPUT, str(root), jobs], env=env, capture_output=True,
                             text=True, check=True)
        outputs.add(run.stdout)
    assert len(outputs) == 1
