"""Run the dbt/Airflow/Python parser fuzz properties (tests/hostile/test_fuzz_parsers.py) for longer
than CI does: 1,000 whole scans per property instead of a dozen.

    python benchmarks/fuzz_parsers.py [extra pytest args]

Prints pytest's summary; any failure is a real bug (Hypothesis prints the shrunk input: keep it as
an `@example` in the test once fixed).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    env = {**os.environ, "LINEAGE_SCAN_FUZZ_PROFILE": "long"}
    command = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "hostile" / "test_fuzz_parsers.py"), "-q",
               "-p", "no:cacheprovider", *sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env, cwd=ROOT))
