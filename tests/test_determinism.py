"""Same repository in, byte-identical JSON out, whatever the hash seed."""

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
