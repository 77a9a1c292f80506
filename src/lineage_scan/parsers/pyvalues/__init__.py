"""Static Python values: what an expression of a scanned file is known to be, without running it.

Shared by the Airflow and the Python parsers. Values are plain Python constants (str, int, float,
bool, None, list, tuple, dict, `PurePosixPath`), `UNKNOWN`, or the small types of `values.py`.

- `values.py`: UNKNOWN, strings that know where their literal starts (`Text`), imported names,
  functions of the file, bound methods, opaque call results.
- `scope.py`: variable scopes and the binding of call arguments to parameters.
- `operators.py`: operators, comparisons and truth of constants.
- `strings.py`: f-strings, `str.format`, `%` formatting and string methods.
- `stdlib.py`: pure standard-library helpers (`os.path`, `pathlib`, `textwrap.dedent`, builtins,
  dict and list methods) on constants.
- `evaluator.py`: a bounded evaluator of a file's statements and expressions over these values,
  extended by a parser with what its framework's constructs mean (`parsers/airflow/interpreter.py`).

The Python parser's abstract interpreter (`parsers/python/interpreter.py`) walks code with its own
control flow (branch joins, dataframes) and values (`Const`, `Seq`, ...), and calls the functions of
`operators.py`, `strings.py`, `stdlib.py` and `scope.py` for the constant part of its work.
Nothing here imports, executes or evaluates code of the scanned repository.
"""
