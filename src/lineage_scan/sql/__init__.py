"""The SQL column-lineage engine, shared by every parser that meets SQL (plain scripts, dbt, Airflow).

``script`` splits a script into statements, ``statements`` turns one statement into relations and
edges, ``query`` follows the columns of one query through its scopes, ``names`` normalises
identifiers per dialect and ``schema`` holds what is known of each table's columns.
"""
