"""dbt projects read from source: column lineage without `dbt compile` or a warehouse.

`parse_dbt_project` (registered in `PROJECT_PARSERS["dbt"]`) is the entry point; `parse.py` walks
through the stages.
"""

from lineage_scan.parsers.dbt.parse import parse_dbt_project

__all__ = ["parse_dbt_project"]
