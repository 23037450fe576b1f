"""Statistical disclosure control for the published statistics (pure: no Flask, no database).

What may be published (docs/statistics.md): for one unit (people, or referrals) and the years that
have at least k units (*published years*),

* the **year totals** and their grand total;
* a **trend table** per dimension D: years × values of D, with the all-years total of each value
  (so the one-dimension table of D for one year is a row of it, and for all years its total row);
* an **annual table** per pair of dimensions D × E for one published year, whose margins are the
  rows of the two trend tables for that year.

Nothing else: no arbitrary period (2020–2022), no quarter, no two-dimension table over several
years. That fixed family is what lets withheld counts be protected *jointly*: an analyst who asks
for every table of the family and solves them together as an integer programme (the attack in
tests/test_differencing.py) still cannot recover a withheld count, nor prove it to be a small count
that is not zero.

A dimension may have a **grouping** (age bands grouped into child and adult, citizenship into
Kyrgyz, foreign, stateless, unknown; the identification decision into presumed and possible
victim). The grouped dimension is published as the group subtotals of the same tables, so a
coarse table and a fine table can never be differenced against each other.

**How counts are protected.** Every count (cells, group subtotals, all-years totals) that is zero,
below ``k`` or that rounding would show below ``k`` is withheld (*primary*). Then, for each primary
count, the engine makes sure that another set of data exists that agrees with everything published
and in which that count is 0 (or at least 1, for a zero): an *alternative world*. It builds one by
moving people between cells along a "rectangle" — +n, −n, −n, +n on four counts that share rows
and columns — which keeps every row and column total as it was, and withholds every count the move
changes. A count whose alternative world exists is protected against any combination of the
published tables: its true value and 0 (or 1) are both consistent with them, so nothing published
can tell which holds.

* In a trend table, a person's value of D moves within the same year (never the year itself, which
  every other dimension would see), paired either with another year or with the all-years row.
  Such a move changes the row totals of D in that year, which are the margins of every annual
  table D × E; so the engine also withholds, in every annual table of D for that year, the whole
  rows of the two values involved (``TrendProtection.rows``): the people can then be moved between
  those rows, column by column, without changing any other published count.
* In an annual table, a withheld count is protected when the trend table already moves its whole
  row (or column) to zero, or by a rectangle inside the table.

Published counts are rounded to the nearest multiple of ``base`` (halves up): decisions are taken on
the true counts, only what is shown is rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

DEFAULT_K = 11
DEFAULT_BASE = 5
ALL_YEARS = "*"          # the all-years row of a trend table
TOTAL = "*"              # the total row or column of an annual table
GROUP = "@"              # prefix of a group key: "@child" is the subtotal of the group "child"


def round_to(value: int, base: int) -> int:
    """Nearest multiple of ``base``, halves rounded up (base 1 leaves the value alone)."""
    if base <= 1:
        return value
    return ((2 * value + base) // (2 * base)) * base


def small(value: int, k: int, base: int) -> bool:
    """A count that is never published: zero, below k, or shown below k once rounded."""
    return value == 0 or value < k or round_to(value, base) < k


def group_key(group: str) -> str:
    return GROUP + group


def is_group(key: str) -> bool:
    return isinstance(key, str) and key.startswith(GROUP)


@dataclass(frozen=True)
class Dimension:
    """The values of a dimension, in display order, and optionally a grouping of them."""

    name: str
    values: tuple[str, ...]
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()     # (group, members) in display order

    def __post_init__(self):
        members = [v for _g, vs in self.groups for v in vs]
        if self.groups and sorted(members) != sorted(self.values):
            raise ValueError(f"the groups of {self.name} must cover each value once")

    def group_of(self, value: str) -> str | None:
        return next((g for g, members in self.groups if value in members), None)

    def members(self, group: str) -> tuple[str, ...]:
        return dict(self.groups)[group]

    @property
    def subtotals(self) -> tuple[str, ...]:
        """Group keys that are a sum of several values (a one-value group is that value itself)."""
        return tuple(group_key(g) for g, members in self.groups if len(members) > 1)

    def expand(self, key: str) -> tuple[str, ...]:
        """The values a key (a value or a group key) counts."""
        return self.members(key[1:]) if is_group(key) else (key,)

    def keys(self) -> tuple[str, ...]:
        return self.values + self.subtotals

    def group_keys_of(self, value: str) -> tuple[str, ...]:
        """The subtotal keys that include ``value``."""
        group = self.group_of(value)
        return (group_key(group),) if group and group_key(group) in self.subtotals else ()

    def coarse_keys(self) -> tuple[str, ...]:
        """The keys of the grouped dimension, in order: a group key, or the value of a one-value group."""
        return tuple(group_key(g) if len(m) > 1 else m[0] for g, m in self.groups)


# ------------------------------------------------------------------ trend tables


@dataclass
class TrendProtection:
    """The protected trend table of one dimension: what is withheld, and what its moves imply for
    the annual tables of that dimension.

    ``rows[year]``: keys whose whole rows every annual table of this dimension withholds in that
    year (the moves pass people between them). ``lowered[year]``: (values, target) of each move that
    empties the rows of those values in that year into the target's row. ``raised[year]``:
    {value: donor} for a move that brings one person from the donor's row into an empty row."""

    dimension: Dimension
    years: tuple
    counts: dict                                   # (year or ALL_YEARS, key) -> true count
    hidden: set = field(default_factory=set)       # withheld entries
    rows: dict = field(default_factory=dict)
    lowered: dict = field(default_factory=dict)
    raised: dict = field(default_factory=dict)
    k: int = DEFAULT_K
    base: int = DEFAULT_BASE

    def shown(self, year, key) -> int | None:
        entry = (year, key)
        return None if entry in self.hidden else round_to(self.counts[entry], self.base)


def _trend_counts(dimension: Dimension, years, cells: Mapping) -> dict:
    counts = {}
    for year in years:
        for value in dimension.values:
            counts[(year, value)] = int(cells.get((year, value), 0))
    for value in dimension.values:
        counts[(ALL_YEARS, value)] = sum(counts[(y, value)] for y in years)
    for key in dimension.subtotals:
        for row in (*years, ALL_YEARS):
            counts[(row, key)] = sum(counts[(row, v)] for v in dimension.expand(key))
    return counts


def protect_trend(dimension: Dimension, years, cells: Mapping, *, k: int = DEFAULT_K,
                  base: int = DEFAULT_BASE) -> TrendProtection:
    """Protect the trend table years × ``dimension`` (``cells``: (year, value) -> count)."""
    years = tuple(years)
    counts = _trend_counts(dimension, years, cells)
    result = TrendProtection(dimension, years, counts, k=k, base=base,
                             rows={y: set() for y in years}, lowered={y: [] for y in years},
                             raised={y: {} for y in years})
    rows, keys = (*years, ALL_YEARS), dimension.keys()
    # the widest counts first (all years, then groups): their moves empty many narrower ones at once
    primary = sorted((e for e, n in counts.items() if small(n, k, base)),
                     key=lambda e: (e[0] != ALL_YEARS, not is_group(e[1]), counts[e], rows.index(e[0]),
                                    keys.index(e[1])))
    result.hidden |= set(primary)
    protected: set = set()
    for entry in primary:
        if entry in protected:
            continue
        move = _trend_move(result, entry)
        if move is None:     # nothing to move with (a dimension with one value): withhold the column
            result.hidden |= {(row, entry[1]) for row in rows}
            protected.add(entry)
            continue
        changed, effects = move
        result.hidden |= changed
        protected.add(entry)
        for year, kind, payload in effects:
            if kind == "rows":
                result.rows[year] |= payload
            elif kind == "lowered":
                result.lowered[year].append(payload)
                sources, _target = payload
                protected |= {(year, v) for v in sources}
            else:
                result.raised[year].update(payload)
                protected |= {(year, v) for v in payload} | {(ALL_YEARS, v) for v in payload}
    return result


def _changes(dimension: Dimension, deltas: Mapping) -> set:
    """The trend entries (values, subtotals and all-years totals included) that a move of fine
    counts changes: ``deltas`` maps (year, value) to a change; all-years totals follow."""
    net: dict = {}
    for (row, value), delta in deltas.items():
        for key in (value, *dimension.group_keys_of(value)):
            net[(row, key)] = net.get((row, key), 0) + delta
            if row != ALL_YEARS:
                net[(ALL_YEARS, key)] = net.get((ALL_YEARS, key), 0) + delta
    return {entry for entry, delta in net.items() if delta}


def _cost(result: TrendProtection, changed: set) -> tuple:
    new = [e for e in changed if e not in result.hidden]
    return (len(new), sum(result.counts[e] for e in new))


def _with_groups(dimension: Dimension, year, keys: set, changed: set) -> set:
    """Row keys of an annual table that a move changes: the values, and their group subtotals when
    the move crosses groups."""
    return set(keys) | {g for v in keys for g in dimension.group_keys_of(v) if (year, g) in changed}


def _trend_move(result: TrendProtection, entry):
    """The cheapest move giving ``entry`` an alternative world, as (entries it changes, effects);
    effects are (year, "rows" | "lowered" | "raised", payload) for the annual tables."""
    dimension, counts, years = result.dimension, result.counts, result.years
    row, key = entry
    n = counts[entry]
    sources = dimension.expand(key)
    in_years = [row] if row != ALL_YEARS else list(years)
    candidates = []
    for target in (v for v in dimension.values if v not in sources):
        if n >= result.k:
            # shown below k only by rounding: its true value is not small, so an alternative world
            # only needs it to differ: one person moves out of its largest count to ``target``
            year, value = max(((y, v) for y in in_years for v in sources), key=lambda yv: counts[yv])
            changed = _changes(dimension, {(year, value): -1, (year, target): 1})
            effects = [(year, "rows", _with_groups(dimension, year, {value, target}, changed))]
            candidates.append((_cost(result, changed), changed, effects))
        elif n > 0:
            # lower: everyone the entry counts moves to ``target`` in each year concerned; the
            # all-years totals follow (the all-years row is the rectangle's other row)
            deltas: dict = {}
            effects = []
            for year in in_years:
                filled = frozenset(v for v in sources if counts[(year, v)])
                if not filled:
                    continue
                for value in filled:
                    deltas[(year, value)] = -counts[(year, value)]
                deltas[(year, target)] = sum(counts[(year, v)] for v in filled)
                effects.append((year, "lowered", (filled, target)))
            changed = _changes(dimension, deltas)
            effects += [(year, "rows", _with_groups(dimension, year, set(filled) | {target}, changed))
                        for year, _kind, (filled, _t) in list(effects)]
            candidates.append((_cost(result, changed), changed, effects))
            # or raise it to k: k - n people of ``target`` move into it (in one year)
            lift = result.k - n
            donors = [y for y in in_years if counts[(y, target)] >= lift]
            if donors:
                year = donors[0]
                value = max(sources, key=lambda v: counts[(year, v)])
                changed = _changes(dimension, {(year, value): lift, (year, target): -lift})
                candidates.append((_cost(result, changed), changed,
                                   [(year, "rows", _with_groups(dimension, year, {value, target}, changed))]))
        else:
            # raise by one: one person of ``target`` moves into the entry (its first value)
            donors = [y for y in in_years if counts[(y, target)] >= 1]
            if donors:
                year, value = donors[0], sources[0]
                changed = _changes(dimension, {(year, value): 1, (year, target): -1})
                effects = [(year, "rows", _with_groups(dimension, year, {value, target}, changed)),
                           (year, "raised", {value: target})]
                candidates.append((_cost(result, changed), changed, effects))
        # another year as the rectangle's other row, for a single value in a single year: cheaper
        # when it keeps the all-years totals published
        if row == ALL_YEARS or is_group(key):
            continue
        for other in years:
            if other == row:
                continue
            amount = min(n, 1 if n >= result.k else n)
            if n > 0 and counts[(other, target)] >= amount:
                deltas = {(row, key): -amount, (row, target): amount, (other, key): amount,
                          (other, target): -amount}
                effects = [(row, "lowered", (frozenset({key}), target))] if amount == n else []
            elif n == 0 and counts[(row, target)] >= 1 and counts[(other, key)] >= 1:
                deltas = {(row, key): 1, (row, target): -1, (other, key): -1, (other, target): 1}
                effects = [(row, "raised", {key: target})]
            else:
                continue
            changed = _changes(dimension, deltas)
            effects += [(y, "rows", _with_groups(dimension, y, {key, target}, changed)) for y in (row, other)]
            candidates.append((_cost(result, changed), changed, effects))
    if not candidates:
        return None
    _cost_value, changed, effects = min(candidates, key=lambda c: c[0])
    return changed, effects


# ------------------------------------------------------------------ annual tables


@dataclass
class AnnualProtection:
    """The protected annual table D × E of one year: cells and group subtotals; its margins are
    the two trend tables' rows for that year."""

    rows: Dimension
    cols: Dimension
    year: object
    counts: dict                                   # (row key, col key) -> true count (no margins)
    trend_rows: TrendProtection
    trend_cols: TrendProtection
    hidden: set = field(default_factory=set)
    publishable: bool = True        # False: no withheld count could be given an alternative world
    k: int = DEFAULT_K
    base: int = DEFAULT_BASE

    def shown(self, row, col) -> int | None:
        if row == TOTAL and col == TOTAL:
            return round_to(sum(self.counts[(v, w)] for v in self.rows.values for w in self.cols.values),
                            self.base)
        if col == TOTAL:
            return self.trend_rows.shown(self.year, row)
        if row == TOTAL:
            return self.trend_cols.shown(self.year, col)
        entry = (row, col)
        return None if entry in self.hidden else round_to(self.counts[entry], self.base)


def _annual_counts(rows: Dimension, cols: Dimension, cells: Mapping) -> dict:
    counts = {(v, w): int(cells.get((v, w), 0)) for v in rows.values for w in cols.values}
    for r in rows.keys():
        for c in cols.keys():
            if (r, c) not in counts:
                counts[(r, c)] = sum(counts[(v, w)] for v in rows.expand(r) for w in cols.expand(c))
    return counts


def protect_annual(rows: Dimension, cols: Dimension, year, cells: Mapping, trend_rows: TrendProtection,
                   trend_cols: TrendProtection, *, k: int = DEFAULT_K,
                   base: int = DEFAULT_BASE) -> AnnualProtection:
    """Protect the annual table ``rows`` × ``cols`` of ``year`` (``cells``: (v, w) -> count),
    given the protected trend tables of both dimensions."""
    counts = _annual_counts(rows, cols, cells)
    result = AnnualProtection(rows, cols, year, counts, trend_rows, trend_cols, k=k, base=base)
    for key in trend_rows.rows.get(year, ()):
        result.hidden |= {(key, c) for c in cols.keys()}
    for key in trend_cols.rows.get(year, ()):
        result.hidden |= {(r, key) for r in rows.keys()}
    primary = sorted((e for e, n in counts.items() if small(n, k, base)),
                     key=lambda e: (counts[e], rows.keys().index(e[0]), cols.keys().index(e[1])))
    result.hidden |= set(primary)
    for entry in primary:
        if _annual_protected(result, entry):
            continue
        move = _annual_move(result, entry)
        if move is None:
            break
        result.hidden |= move
    else:
        return result
    # a count with nothing to move it: withhold every count of the table (its margins stay the
    # trend tables') and check that each withheld count still has its alternative world
    result.hidden |= set(counts)
    result.publishable = all(_annual_protected(result, e) or _annual_move(result, e) is not None
                             for e in primary)
    return result


def _annual_protected(result: AnnualProtection, entry) -> bool:
    """Already protected by a move of a trend table: one move empties every row (or column) that
    has people in the entry into a row outside it, or brings one person into an empty row of it
    from a donor row outside it that has someone in the entry's columns."""
    counts, year = result.counts, result.year
    r, c = entry
    in_rows, in_cols = set(result.rows.expand(r)), set(result.cols.expand(c))
    if counts[entry] > 0:
        filled_rows = {v for v in in_rows if any(counts[(v, w)] for w in in_cols)}
        filled_cols = {w for w in in_cols if any(counts[(v, w)] for v in in_rows)}
        return any(filled_rows <= sources and target not in in_rows
                   for sources, target in result.trend_rows.lowered.get(year, ())) or \
            any(filled_cols <= sources and target not in in_cols
                for sources, target in result.trend_cols.lowered.get(year, ()))
    for v in in_rows:
        donor = result.trend_rows.raised.get(year, {}).get(v)
        if donor is not None and donor not in in_rows and any(counts[(donor, w)] for w in in_cols):
            return True
    for w in in_cols:
        donor = result.trend_cols.raised.get(year, {}).get(w)
        if donor is not None and donor not in in_cols and any(counts[(v, donor)] for v in in_rows):
            return True
    return False


def _annual_changes(result: AnnualProtection, deltas: Mapping) -> set:
    """The entries (cells and subtotals) a move of fine cells changes; margins never change."""
    changed = set()
    for r in result.rows.keys():
        for c in result.cols.keys():
            if sum(deltas.get((v, w), 0) for v in result.rows.expand(r) for w in result.cols.expand(c)):
                changed.add((r, c))
    return changed


def _annual_cost(result: AnnualProtection, changed: set) -> tuple:
    new = [e for e in changed if e not in result.hidden]
    return (len(new), sum(result.counts[e] for e in new))


def _annual_move(result: AnnualProtection, entry):
    """A rectangle inside the table that gives ``entry`` an alternative world: the entries to
    withhold for it, or None."""
    candidates = _rectangles(result, entry, transposed=False) + _rectangles(result, entry, transposed=True)
    if result.counts[entry] == 0:
        candidates += _raise_through_trend(result, entry)
    if not candidates:
        return None
    return min(candidates, key=lambda item: item[0])[1]


def _rectangles(result: AnnualProtection, entry, transposed: bool) -> list:
    """Moves inside the table that keep every row and column total, written for "rows" and
    "columns"; ``transposed`` swaps their roles. Each returns the entries it changes, to withhold."""
    if transposed:
        rows, cols = result.cols, result.rows
        entry = (entry[1], entry[0])

        def count(v, w):
            return result.counts[(w, v)]

        def flip(deltas):
            return {(w, v): d for (v, w), d in deltas.items()}
    else:
        rows, cols = result.rows, result.cols

        def count(v, w):
            return result.counts[(v, w)]

        def flip(deltas):
            return deltas
    r, c = entry
    in_rows, in_cols = rows.expand(r), cols.expand(c)
    out_rows = [v for v in rows.values if v not in in_rows]
    out_cols = [w for w in cols.values if w not in in_cols]
    n = sum(count(v, w) for v in in_rows for w in in_cols)
    hidden = result.hidden if not transposed else {(b, a) for a, b in result.hidden}

    def donors(cells, needed):
        """Cells to take ``needed`` people from: withheld ones first, then the largest."""
        chosen, total = [], 0
        for cell in sorted(cells, key=lambda vw: (vw not in hidden, -count(*vw))):
            if total >= needed:
                break
            if count(*cell) > 0:
                chosen.append((cell, min(count(*cell), needed - total)))
                total += chosen[-1][1]
        return chosen if total >= needed else None

    found = []

    def keep(deltas):
        changed = _annual_changes(result, flip(deltas))
        found.append((_annual_cost(result, changed), changed))

    if 0 < n < result.k:
        # lower to zero: everyone in the entry moves to column w2 in their own rows; rows outside
        # the entry give back as many from w2 to the entry's columns
        for w2 in out_cols:
            taken = donors([(u, w2) for u in out_rows], n)
            if taken is None:
                continue
            deltas: dict = {}
            losses = [((v, w), count(v, w)) for v in in_rows for w in in_cols if count(v, w)]
            for (v, w), moved in losses:
                deltas[(v, w)] = deltas.get((v, w), 0) - moved
                deltas[(v, w2)] = deltas.get((v, w2), 0) + moved
            need = {w: sum(m for (_v, x), m in losses if x == w) for w in in_cols}
            for (u, _w2), amount in taken:
                deltas[(u, w2)] = deltas.get((u, w2), 0) - amount
                for w in in_cols:       # the donor's people refill the entry's columns
                    share = min(amount, need[w])
                    if share:
                        deltas[(u, w)] = deltas.get((u, w), 0) + share
                        need[w] -= share
                        amount -= share
            keep(deltas)
    if n > 0:
        # raise: to k for a small count, by one for a count shown below k only by rounding; the
        # people come into one cell of the entry from its row and from its column
        lift = result.k - n if n < result.k else 1
        for v in in_rows:
            for w in in_cols:
                from_row = donors([(v, x) for x in out_cols], lift)
                from_col = donors([(u, w) for u in out_rows], lift)
                if from_row is None or from_col is None:
                    continue
                deltas = {(v, w): lift}
                for cell, amount in from_row + from_col:
                    deltas[cell] = deltas.get(cell, 0) - amount
                _transport(deltas, [(x, a) for (_v, x), a in from_row], [(u, a) for (u, _w), a in from_col])
                keep(deltas)
    else:
        # a zero: one person comes in from its row and its column
        for v in in_rows:
            for w in in_cols:
                for w2 in (x for x in out_cols if count(v, x) >= 1):
                    for v2 in (x for x in out_rows if count(x, w) >= 1):
                        keep({(v, w): 1, (v, w2): -1, (v2, w): -1, (v2, w2): 1})
    return found


def _transport(deltas: dict, columns: list, rows: list) -> None:
    """Put back, into the cells (row, column) of the donors' rows and columns, as many people as
    were taken from them (north-west corner rule), so every row and column total holds."""
    columns, rows = [list(x) for x in columns], [list(x) for x in rows]
    i = j = 0
    while i < len(rows) and j < len(columns):
        amount = min(rows[i][1], columns[j][1])
        cell = (rows[i][0], columns[j][0])
        deltas[cell] = deltas.get(cell, 0) + amount
        rows[i][1] -= amount
        columns[j][1] -= amount
        if rows[i][1] == 0:
            i += 1
        if columns[j][1] == 0:
            j += 1


def _raise_through_trend(result: AnnualProtection, entry) -> list:
    """A zero in a row that is empty for the whole year: the trend move brings one person into that
    row from its donor row (in some column w*), and a third row passes one person from w* on to the
    entry's column. The same with columns."""
    counts, year = result.counts, result.year
    rows, cols = result.rows, result.cols
    r, c = entry
    in_rows, in_cols = set(rows.expand(r)), set(cols.expand(c))
    found = []
    for v in in_rows:
        donor = result.trend_rows.raised.get(year, {}).get(v)
        if donor is None or donor in in_rows:
            continue
        for w in in_cols:
            for w_star in (x for x in cols.values if x not in in_cols and counts[(donor, x)] >= 1):
                for v3 in (x for x in rows.values if x not in in_rows and x != donor and counts[(x, w)] >= 1):
                    deltas = {(v, w): 1, (donor, w_star): -1, (v3, w): -1, (v3, w_star): 1}
                    changed = _annual_changes(result, deltas)
                    found.append((_annual_cost(result, changed), changed))
    for w in in_cols:
        donor = result.trend_cols.raised.get(year, {}).get(w)
        if donor is None or donor in in_cols:
            continue
        for v in in_rows:
            for v_star in (x for x in rows.values if x not in in_rows and counts[(x, donor)] >= 1):
                for w3 in (x for x in cols.values if x not in in_cols and x != donor and counts[(v, x)] >= 1):
                    deltas = {(v, w): 1, (v_star, donor): -1, (v, w3): -1, (v_star, w3): 1}
                    changed = _annual_changes(result, deltas)
                    found.append((_annual_cost(result, changed), changed))
    # an empty row and an empty column: both trend moves at once
    for v in in_rows:
        donor_row = result.trend_rows.raised.get(year, {}).get(v)
        for w in in_cols:
            donor_col = result.trend_cols.raised.get(year, {}).get(w)
            if donor_row is None or donor_col is None or donor_row in in_rows or donor_col in in_cols:
                continue
            if counts[(donor_row, donor_col)] >= 1:
                moves = [{(v, w): 1, (donor_row, donor_col): -1}]
            else:
                moves = [{(v, w): 1, (donor_row, w_star): -1, (v3, donor_col): -1, (v3, w_star): 1}
                         for w_star in cols.values if w_star != donor_col and counts[(donor_row, w_star)] >= 1
                         for v3 in rows.values if v3 != donor_row and counts[(v3, donor_col)] >= 1]
            for deltas in moves:
                changed = _annual_changes(result, deltas)
                found.append((_annual_cost(result, changed), changed))
    return found


# ------------------------------------------------------------------ medians


def median(values: list[float], *, k: int = DEFAULT_K) -> float | None:
    """The median of at least ``k`` values, else None (a median of few people describes them)."""
    if len(values) < k:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


# ------------------------------------------------------------------ the published family


@dataclass
class Family:
    """Everything publishable for one unit: the published years and, on demand, the protected trend
    and annual tables (``counts_trend(dimension)`` and ``counts_annual(d, e, year)`` are the
    caller's loaders of true counts)."""

    dimensions: Mapping[str, Dimension]
    years: tuple
    year_totals: Mapping
    counts_trend: Callable
    counts_annual: Callable
    k: int = DEFAULT_K
    base: int = DEFAULT_BASE
    _trends: dict = field(default_factory=dict)
    _annual: dict = field(default_factory=dict)

    def trend(self, name: str) -> TrendProtection:
        if name not in self._trends:
            self._trends[name] = protect_trend(self.dimensions[name], self.years, self.counts_trend(name),
                                               k=self.k, base=self.base)
        return self._trends[name]

    def annual(self, row: str, col: str, year) -> AnnualProtection:
        """The annual table ``row`` × ``col``; computed once per unordered pair, so D × E and E × D
        are the same published counts."""
        first, second = sorted((row, col))
        key = (first, second, year)
        if key not in self._annual:
            self._annual[key] = protect_annual(
                self.dimensions[first], self.dimensions[second], year,
                self.counts_annual(first, second, year), self.trend(first), self.trend(second),
                k=self.k, base=self.base)
        return self._annual[key]

    def year_total(self, year) -> int:
        return round_to(self.year_totals[year], self.base)

    def grand_total(self) -> int:
        return round_to(sum(self.year_totals[y] for y in self.years), self.base)


def published_years(totals: Mapping, *, k: int = DEFAULT_K, base: int = DEFAULT_BASE) -> tuple:
    """The years with enough units to publish anything about them (a year below k is left out of
    every table, its totals included)."""
    return tuple(sorted(y for y, n in totals.items() if not small(n, k, base)))
