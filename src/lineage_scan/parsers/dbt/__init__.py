"""dbt projects read from source: column lineage without `dbt compile` or a warehouse.

`start_dbt_project` (registered in `PROJECT_PARSERS["dbt"]`) is the entry point: it does the
project-level pass and returns the project's units of work (`run.py`); `parse.py` walks through
the stages.
"""

from lineage_scan.parsers.dbt.run import start_dbt_project

__all__ = ["start_dbt_project"]
