"""The differencing attack on published statistics, as an integer programme (scipy's milp, HiGHS).

The adversary holds every count the family of published tables shows for a pair of dimensions D and
E: the year totals and their grand total, the trend tables of D and of E (each year and all years,
fine values and group subtotals) and the annual tables D × E of every published year. Its unknowns
are the true counts of each (year, value of D, value of E); a published count p says only that the
true count lies within the rounding interval of p. For every withheld count whose true value is
below k, the adversary asks the solver whether the published counts allow it to be something else:
0 (or at least 1, for a true zero), or else at least k. A withheld count that the solver pins to
its true value, or proves to lie in 1..k-1, is a disclosure.
"""

from dataclasses import dataclass
from itertools import combinations, product

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import lil_matrix

from nrm.core.disclosure import ALL_YEARS, Family, round_to


@dataclass
class Finding:
    table: str
    entry: tuple
    true: int
    problem: str        # "exact" | "small"


def _interval(shown: int, base: int) -> tuple[int, int]:
    """The true counts that round to ``shown``: halves go up, so [p - base/2, p + base/2)."""
    if base <= 1:
        return shown, shown
    low = shown - base // 2 if base % 2 else shown - base // 2
    high = shown + (base - 1) // 2
    return max(0, low), high


def attack(family: Family, names: list[str]) -> tuple[list[Finding], int]:
    """Every withheld small count that the published family discloses to an adversary holding all
    its tables over the dimensions ``names`` (two for one pair of dimensions; more for the tables
    of every pair among them, linked through the people they count), and how many withheld small
    counts were tried."""
    dims = [family.dimensions[name] for name in names]
    years = family.years
    atoms = [(y, *values) for y in years for values in product(*(d.values for d in dims))]
    index = {atom: i for i, atom in enumerate(atoms)}
    entries = []       # (label, atom indices, shown or None, true)

    def add(label, test, shown, true):
        entries.append((label, [index[a] for a in atoms if test(a)], shown, true))

    for y in years:
        add(("year", y), lambda a, y=y: a[0] == y, family.year_total(y), family.year_totals[y])
    add(("year", ALL_YEARS), lambda a: True, family.grand_total(), sum(family.year_totals.values()))
    for axis, dim in enumerate(dims, start=1):
        trend = family.trend(dim.name)
        for row in (*years, ALL_YEARS):
            for key in dim.keys():
                values = set(dim.expand(key))
                add(("trend", dim.name, row, key),
                    lambda a, axis=axis, row=row, values=values: a[axis] in values and (row == ALL_YEARS or a[0] == row),
                    trend.shown(row, key), trend.counts[(row, key)])
    for i, j in combinations(range(len(dims)), 2):
        for y in years:
            table = family.annual(dims[i].name, dims[j].name, y)
            ax_r, ax_c = (i + 1, j + 1) if table.rows.name == dims[i].name else (j + 1, i + 1)
            for r in table.rows.keys():
                for c in table.cols.keys():
                    rv, cv = set(table.rows.expand(r)), set(table.cols.expand(c))
                    add(("annual", table.rows.name, table.cols.name, y, r, c),
                        lambda a, y=y, rv=rv, cv=cv, ax_r=ax_r, ax_c=ax_c: a[0] == y and a[ax_r] in rv and a[ax_c] in cv,
                        table.shown(r, c), table.counts[(r, c)])

    matrix = lil_matrix((len(entries), len(atoms)))
    lower, upper = [], []
    for row, (_label, members, shown, _true) in enumerate(entries):
        for i in members:
            matrix[row, i] = 1
        low, high = _interval(shown, family.base) if shown is not None else (0, np.inf)
        lower.append(low)
        upper.append(high)
    base_constraint = LinearConstraint(matrix.tocsr(), lower, upper)
    integrality = np.ones(len(atoms))
    bounds = Bounds(0, np.inf)
    zero = np.zeros(len(atoms))

    def feasible(members, low, high) -> bool:
        row = np.zeros((1, len(atoms)))
        row[0, members] = 1
        result = milp(zero, integrality=integrality, bounds=bounds,
                      constraints=[base_constraint, LinearConstraint(row, [low], [high])],
                      options={"presolve": True, "time_limit": 120})
        if result.status == 1:
            raise RuntimeError("the solver ran out of time: make the attack smaller")
        return result.status == 0

    findings, tried, seen = [], 0, set()
    for label, members, shown, true in entries:
        key = tuple(members)
        if shown is not None or true >= family.k or key in seen:
            continue
        seen.add(key)
        tried += 1
        if feasible(members, 0, 0) if true > 0 else feasible(members, 1, np.inf):
            continue
        if true > 0 and feasible(members, family.k, np.inf):
            continue
        findings.append(Finding(label[0], label, true, "small" if true > 0 else "exact"))
    return findings, tried


def rounding_is_consistent(base: int) -> None:
    """Self-check of ``_interval`` against ``round_to``."""
    for p in range(0, 50 * base, base):
        low, high = _interval(p, base)
        for n in range(max(0, low - 3), high + 4):
            assert (low <= n <= high) == (round_to(n, base) == p), (p, n)
