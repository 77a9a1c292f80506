"""The static HTML docs site (`lineage-scan site`, `scan --format html`).

Modules: `site` assembles the pages, `pages` gathers what each shows, `views` picks and `layout`
places the lineage drawings, `search` builds the sharded client-side index, `source` reads excerpts
from the scanned root, `findings` and `docs` adapt findings and rule docstrings, `urls` names files.
"""

from lineage_scan.report.html.site import iter_site, render_site

__all__ = ["iter_site", "render_site"]
