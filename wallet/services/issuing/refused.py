"""The refused lines of an award CSV as a CSV file the operator corrects and uploads again."""

from __future__ import annotations

from wallet.services.issuing.audit import csv_text
from wallet.services.issuing.csv_awards import PROBLEM_COLUMN
from wallet.services.issuing.csv_awards import RowProblem


def refused_csv(header: tuple[str, ...], problems: list[RowProblem]) -> str:
    """Return the refused lines as CSV: the file's header and fields, and a problem column.

    Corrected and uploaded again, the file awards those lines (the problem column is ignored).
    Lines the file could not split into fields (none kept) are left out.
    """
    width = len(header)
    rows = [
        [*list(p.fields)[:width], *[""] * (width - len(p.fields)), f"{p.line}: {p.message}"]
        for p in problems
        if p.fields
    ]
    return csv_text([*header, PROBLEM_COLUMN], rows)
