"""Scripts are tokenized with the thread's last tokenizer when it is for the same dialect object
(`script._tokenizer`): the tokens must be those a fresh tokenizer gives, whatever came before."""

from __future__ import annotations

import threading

from sqlglot.dialects.dialect import Dialect

from lineage_scan.sql.script import RawStatement, SplitError, _tokenizer, split_statements


def _tokens(sql: str, dialect: Dialect) -> list[tuple[str, str, int, int, int, int]]:
    statements = list(split_statements(sql, dialect))
    assert all(isinstance(s, RawStatement) for s in statements)
    return [(t.token_type.name, t.text, t.line, t.col, t.start, t.end) for s in statements for t in s.tokens]


def _fresh(sql: str, dialect: Dialect) -> list[tuple[str, str, int, int, int, int]]:
    return [(t.token_type.name, t.text, t.line, t.col, t.start, t.end) for t in dialect.tokenize(sql)
            if t.token_type.name != "SEMICOLON"]


def test_a_reused_tokenizer_gives_what_a_fresh_one_gives_after_other_scripts_and_errors() -> None:
    snowflake, bigquery = Dialect.get_or_raise("snowflake"), Dialect.get_or_raise("bigquery")
    first = "select a,\n  b from t"
    second = "select `x-y`.c from `p.d.t` as `x-y`"  # backquoted names: identifiers in BigQuery only
    assert _tokens(first, snowflake) == _fresh(first, snowflake)
    assert _tokens(first, snowflake) == _fresh(first, snowflake)  # the same tokenizer again
    assert _tokens(second, bigquery) == _fresh(second, bigquery)  # another dialect: its own tokenizer
    assert [t[0] for t in _tokens(second, bigquery)].count("IDENTIFIER") == 3
    assert isinstance(next(split_statements("select 'unterminated", snowflake)), SplitError)
    assert _tokens(first, snowflake) == _fresh(first, snowflake)  # nothing left over from the failure


def test_each_thread_has_its_own_tokenizer() -> None:
    dialect = Dialect.get_or_raise("snowflake")
    here = _tokenizer(dialect)
    assert _tokenizer(dialect) is here
    there: list[object] = []
    thread = threading.Thread(target=lambda: there.append(_tokenizer(dialect)))
    thread.start()
    thread.join()
    assert there and there[0] is not here
