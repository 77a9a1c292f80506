"""Run the SQL engine's fuzz properties (tests/hostile/test_fuzz.py) for longer than CI does.

    python benchmarks/fuzz_sql.py [extra pytest args]

Prints pytest's summary; any failure is a real bug (Hypothesis prints the shrunk input).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    env = {**os.environ, "LINEAGE_SCAN_FUZZ_PROFILE": "long"}
    command = [sys.executable, "-m", "pytest", str(ROOT / "tests" / "hostile" / "test_fuzz.py"), "-q", *sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env, cwd=ROOT))
