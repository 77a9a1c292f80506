"""Data handed to the site's JavaScript: JSON that is safe inside HTML and in `<script src>` files.

Data files assign into one global (`window.lineageScanData`) because `fetch` of local files fails
under ``file://``, while a dynamically added `<script src>` loads from anywhere the page does.
"""

from __future__ import annotations

import json

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)


def safe_json(value: object) -> str:
    """Compact, key-sorted JSON with `<`, `>`, `&` and the JavaScript line separators escaped."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).translate(_TABLE)


def data_script(name: str, value: object) -> str:
    """A data file: registers ``value`` under ``name`` and tells the page it has arrived."""
    return f"(window.lineageScanData=window.lineageScanData||{{}})[{safe_json(name)}]={safe_json(value)};\n"
