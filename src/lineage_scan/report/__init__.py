"""Renderers: pure functions from a ScanResult to text, JSON (and later SARIF, HTML, Markdown).

Only the CLI writes their output to files or the terminal.
"""
