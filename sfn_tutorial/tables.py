"""Small, readable tables for notebook output: HTML in Jupyter, aligned text everywhere else."""

from __future__ import annotations

import html
import unicodedata

from sfn_tutorial.i18n import t


def width(text: str) -> int:
    """How many columns ``text`` takes in a terminal: Korean (and other wide) letters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def padded(text: str, columns: int) -> str:
    """``text`` with spaces after it up to ``columns`` columns wide (as ``str.ljust`` pads
    English; a Korean letter takes two columns)."""
    return text + " " * (columns - width(text))


class Table:
    """Rows shown as a table. ``Table(["Name", "Value"], [["a", 1]])``; display it in a cell."""

    def __init__(self, columns: list[str], rows: list[list], title: str | None = None):
        self.columns = list(columns)
        self.rows = [["" if cell is None else str(cell) for cell in row] for row in rows]
        self.title = title

    def __repr__(self) -> str:
        widths = [
            max([width(column), *(width(row[i]) for row in self.rows)])
            for i, column in enumerate(self.columns)
        ]
        lines = [self.title] if self.title else []
        for row in [self.columns, ["-" * w for w in widths], *self.rows]:
            cells = (padded(cell, w) for cell, w in zip(row, widths, strict=True))
            lines.append("  ".join(cells).rstrip())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='text-align:left;font-family:monospace'>{html.escape(c)}</td>"
                for c in row
            )
            + "</tr>"
            for row in self.rows
        )
        caption = ""
        if self.title:
            caption = f"<caption style='text-align:left'><b>{html.escape(self.title)}</b></caption>"
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def key_value_table(pairs: dict, title: str | None = None) -> Table:
    """A two-column table from a dict: one row per key."""
    rows = [[key, value] for key, value in pairs.items()]
    return Table([t("Field"), t("Value")], rows, title)
