"""Statistical disclosure control for published count tables (pure: no Flask, no database).

A table is a grid of counts (rows × columns; a one-dimension table has a single column) with its
row totals, column totals and grand total. Before anything is published:

1. **Primary suppression.** A count is withheld when it is below ``k`` (default 11, as the
   Counter-Trafficking Data Collaborative publishes), when rounding would show it below ``k``, or
   when it is zero and the zero is not *structural*. A structural zero is a combination that cannot
   happen (a person recorded as an adult in the 0–11 age band); it is shown as 0 because it tells
   nobody anything. Any other zero is withheld, because "nobody from region X" can identify the
   one person who is there. Totals follow the same rule.
2. **Complementary suppression.** The table and its margins form a set of linear equations (each
   row, each column, the row totals and the column totals each add up to their total). A withheld
   entry must not be recoverable from the published ones, neither by one subtraction along a line
   nor by any combination of lines. More entries are withheld, smallest first and cells before
   totals, until every withheld entry is undetermined by the published ones (checked exactly by
   rational Gaussian elimination, see ``determined``).
3. **Rounding.** Every published count is rounded to the nearest multiple of ``base`` (halves up),
   so even a complete line adds up only approximately: |total − Σ cells| ≤ (cells + 1) · base / 2.

The decisions are made on the true counts; only published values are rounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import gcd

DEFAULT_K = 11
DEFAULT_BASE = 5

# an entry of the augmented table: ("cell", i, j) | ("row", i) | ("col", j) | ("grand",)
Entry = tuple


@dataclass(frozen=True)
class Published:
    """The publishable form of a table: None marks a withheld count."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    col_totals: list[int | None]
    total: int | None
    k: int
    base: int
    suppressed: int                      # withheld cells (totals not counted)
    primary: int                         # of which withheld for being small or a non-structural zero
    withheld_totals: int = 0
    notes: list[str] = field(default_factory=list)


def round_to(value: int, base: int) -> int:
    """Nearest multiple of ``base``, halves rounded up (base 1 leaves the value alone)."""
    if base <= 1:
        return value
    return ((2 * value + base) // (2 * base)) * base


def _sensitive(value: int, k: int, base: int, structural: bool) -> bool:
    if value == 0:
        return not structural
    return value < k or round_to(value, base) < k


def lines(n_rows: int, n_cols: int) -> list[list[Entry]]:
    """Every additive constraint of the augmented table, as lists of entries whose last member is
    the total of the others."""
    result = [[("cell", i, j) for j in range(n_cols)] + [("row", i)] for i in range(n_rows)]
    result += [[("cell", i, j) for i in range(n_rows)] + [("col", j)] for j in range(n_cols)]
    result.append([("row", i) for i in range(n_rows)] + [("grand",)])
    if n_cols > 1:
        result.append([("col", j) for j in range(n_cols)] + [("grand",)])
    return result


def determined(n_rows: int, n_cols: int, hidden: set[Entry]) -> set[Entry]:
    """The hidden entries whose value follows from the published ones through the table's linear
    constraints. Exact: reduced row echelon form of the constraint matrix restricted to the hidden
    entries, over the rationals (computed fraction-free in integers). A hidden entry is determined
    exactly when its column is a pivot whose row has no other hidden (free) entry."""
    order = sorted(hidden)
    if not order:
        return set()
    index = {entry: n for n, entry in enumerate(order)}
    matrix: list[list[int]] = []
    for line in lines(n_rows, n_cols):
        row = [0] * len(order)
        for position, entry in enumerate(line):
            if entry in index:
                row[index[entry]] = -1 if position == len(line) - 1 else 1
        if any(row):
            matrix.append(row)
    # Gauss-Jordan elimination over the integers (fraction-free, each row divided by the gcd of its
    # entries): exact like rationals, several times faster
    pivots = []
    r = 0
    for c in range(len(order)):
        pivot = next((p for p in range(r, len(matrix)) if matrix[p][c] != 0), None)
        if pivot is None:
            continue
        matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
        lead_row = matrix[r]
        lead = lead_row[c]
        for other in range(len(matrix)):
            factor = matrix[other][c]
            if other != r and factor != 0:
                reduced = [lead * a - factor * b for a, b in zip(matrix[other], lead_row, strict=True)]
                divisor = gcd(*reduced)
                matrix[other] = [value // divisor for value in reduced] if divisor > 1 else reduced
        pivots.append(c)
        r += 1
        if r == len(matrix):
            break
    found = set()
    for row_number, c in enumerate(pivots):
        if all(matrix[row_number][other] == 0 for other in range(len(order)) if other != c):
            found.add(order[c])
    return found


def protect(cells: list[list[int]], *, k: int = DEFAULT_K, base: int = DEFAULT_BASE,
            structural: list[list[bool]] | None = None) -> Published:
    """Apply primary and complementary suppression and rounding to a grid of true counts.

    ``structural[i][j]`` marks a combination that cannot occur; its count must be zero."""
    n_rows = len(cells)
    n_cols = len(cells[0]) if cells else 0
    structural = structural or [[False] * n_cols for _ in range(n_rows)]
    for i in range(n_rows):
        for j in range(n_cols):
            if structural[i][j] and cells[i][j]:
                raise ValueError(f"cell ({i}, {j}) is declared structural but holds {cells[i][j]}")
    values: dict[Entry, int] = {}
    fixed: set[Entry] = set()          # known to everyone without publication: structural zeros
    for i in range(n_rows):
        for j in range(n_cols):
            values[("cell", i, j)] = cells[i][j]
            if structural[i][j]:
                fixed.add(("cell", i, j))
        values[("row", i)] = sum(cells[i])
    for j in range(n_cols):
        values[("col", j)] = sum(cells[i][j] for i in range(n_rows))
    values[("grand",)] = sum(values[("row", i)] for i in range(n_rows))
    for j in range(n_cols):                      # a column of structural zeros has a structural total
        if n_rows and all(("cell", i, j) in fixed for i in range(n_rows)):
            fixed.add(("col", j))
    for i in range(n_rows):
        if n_cols and all(("cell", i, j) in fixed for j in range(n_cols)):
            fixed.add(("row", i))
    if all(("row", i) in fixed for i in range(n_rows)):
        fixed.add(("grand",))

    hidden = {e for e, v in values.items() if e not in fixed and _sensitive(v, k, base, False)}
    primary = sum(1 for e in hidden if e[0] == "cell")
    all_lines = lines(n_rows, n_cols)

    def candidates(line):
        open_entries = [e for e in line if e not in hidden and e not in fixed]
        inner = [e for e in open_entries if e[0] == "cell"] or open_entries
        return sorted(inner, key=lambda e: (values[e], e))

    while True:
        # one subtraction along a line: a line must not hide exactly one entry
        lonely = next((ln for ln in all_lines if sum(e in hidden for e in ln) == 1 and candidates(ln)),
                      None)
        if lonely is None:
            exposed = determined(n_rows, n_cols, hidden)
            if not exposed:
                break
            lonely = next((ln for target in sorted(exposed) for ln in all_lines
                           if target in ln and candidates(ln)), None)
            if lonely is None:    # its own lines are spent: withhold the smallest entry anywhere
                lonely = list(values)
                if not candidates(lonely):
                    break         # everything that could be withheld already is
        hidden.add(candidates(lonely)[0])

    def shown(entry):
        return None if entry in hidden else round_to(values[entry], base)

    return Published(
        cells=[[shown(("cell", i, j)) for j in range(n_cols)] for i in range(n_rows)],
        row_totals=[shown(("row", i)) for i in range(n_rows)],
        col_totals=[shown(("col", j)) for j in range(n_cols)],
        total=shown(("grand",)),
        k=k, base=base,
        suppressed=sum(1 for e in hidden if e[0] == "cell"),
        primary=primary,
        withheld_totals=sum(1 for e in hidden if e[0] != "cell"),
    )


def median(values: list[float], *, k: int = DEFAULT_K) -> float | None:
    """The median of at least ``k`` values, else None (a median of few people describes them)."""
    if len(values) < k:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
