"""Disclosure control: what a prosecutor may publish must not let anyone recover a small count."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nrm.core.suppression import determined, lines, median, protect, round_to


def _entries(published):
    n_rows, n_cols = len(published.cells), len(published.row_totals and published.cells[0])
    values = {}
    for i in range(n_rows):
        for j in range(n_cols):
            values[("cell", i, j)] = published.cells[i][j]
        values[("row", i)] = published.row_totals[i]
    for j in range(n_cols):
        values[("col", j)] = published.col_totals[j]
    values[("grand",)] = published.total
    return n_rows, n_cols, values


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 7))
    n_cols = draw(st.integers(1, 6))
    # counts that straddle k: many zeros, many small, some large
    count = st.one_of(st.just(0), st.integers(1, 15), st.integers(11, 400))
    cells = [[draw(count) for _ in range(n_cols)] for _ in range(n_rows)]
    structural = [[cells[i][j] == 0 and draw(st.booleans()) for j in range(n_cols)] for i in range(n_rows)]
    k = draw(st.sampled_from([3, 5, 11]))
    base = draw(st.sampled_from([1, 1, 3, 5]))
    return cells, structural, k, base


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_published_count_is_small_and_no_withheld_count_can_be_recovered(table):
    cells, structural, k, base = table
    published = protect(cells, k=k, base=base, structural=structural)
    n_rows, n_cols, values = _entries(published)
    fixed = {("cell", i, j) for i in range(n_rows) for j in range(n_cols) if structural[i][j]}
    fixed |= {("row", i) for i in range(n_rows) if all(structural[i])}
    fixed |= {("col", j) for j in range(n_cols) if all(structural[i][j] for i in range(n_rows))}
    if all(all(row) for row in structural):
        fixed.add(("grand",))

    # no published non-null count in (0, k); zeros only where structural
    for entry, value in values.items():
        if value is not None:
            assert not 0 < value < k, (entry, value)
        if value == 0:
            assert entry in fixed or base > 1, entry   # a rounded-down count may show 0 only if base > 1
    for i in range(n_rows):
        for j in range(n_cols):
            if cells[i][j] == 0 and not structural[i][j]:
                assert published.cells[i][j] is None

    # no withheld entry recoverable by subtraction along any line (row, column, margins)
    hidden = {entry for entry, value in values.items() if value is None}
    for line in lines(n_rows, n_cols):
        withheld = [e for e in line if e in hidden]
        unknown = [e for e in withheld if not all(x in fixed for x in line if x != e)]
        assert len(withheld) != 1 or not unknown, line
    # nor by any combination of lines
    assert not determined(n_rows, n_cols, hidden)

    # published totals agree with published cells up to rounding
    tolerance = lambda n: (n + 1) * base / 2  # noqa: E731
    for line in lines(n_rows, n_cols):
        *parts, total = line
        if values[total] is None:
            continue
        shown = [values[e] for e in parts if values[e] is not None]
        if len(shown) == len(parts):
            assert abs(values[total] - sum(shown)) <= tolerance(len(parts)), line
        else:
            assert values[total] >= sum(shown) - tolerance(len(parts)), line

    assert published.suppressed == sum(1 for e in hidden if e[0] == "cell")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=3, max_size=3), min_size=2, max_size=5))
def test_without_rounding_complete_lines_add_up_exactly(cells):
    published = protect(cells, k=11, base=1)
    for i, row in enumerate(published.cells):
        if None not in row and published.row_totals[i] is not None:
            assert sum(row) == published.row_totals[i]
    if None not in published.row_totals and published.total is not None:
        assert sum(published.row_totals) == published.total


@pytest.mark.parametrize(("cells", "expected"), [
    # nothing small: everything published
    ([[20, 30], [40, 50]], [[20, 30], [40, 50]]),
    # one small cell forces a second in its row and column, and a fourth to close the rectangle
    ([[3, 30], [40, 50]], [[None, None], [None, None]]),
    ([[3, 30, 60], [40, 50, 70], [80, 90, 100]], [[None, None, 60], [None, None, 70], [80, 90, 100]]),
    # a zero that is not structural is withheld like a small count
    ([[0, 30, 60], [40, 50, 70]], [[None, None, 60], [None, None, 70]]),
])
def test_cases(cells, expected):
    assert protect(cells, k=11, base=1).cells == expected


def test_a_structural_zero_is_shown_and_needs_no_protection():
    published = protect([[0, 30], [40, 50]], k=11, base=1, structural=[[True, False], [False, False]])
    assert published.cells == [[0, 30], [40, 50]]
    assert published.suppressed == 0


def test_a_one_dimension_table_hides_two_rows_or_the_total():
    published = protect([[5], [30], [40]], k=11, base=1)
    assert published.cells == [[None], [None], [40]]
    alone = protect([[5], [30]], k=11, base=1)
    assert alone.cells[0] == [None] and (alone.cells[1] == [None] or alone.total is None)


def test_the_grand_total_cannot_give_away_a_row_total():
    # rows 0 and 1 are small in their only cell: their totals are withheld, and so
    # the grand total must not leave exactly one row total unknown
    published = protect([[4, 30], [30, 30], [30, 30]], k=11, base=1)
    hidden_rows = [t for t in published.row_totals if t is None]
    assert len(hidden_rows) != 1 or published.total is None


@pytest.mark.parametrize(("value", "base", "expected"), [
    (11, 5, 10), (12, 5, 10), (13, 5, 15), (15, 5, 15), (17, 5, 15), (18, 5, 20), (7, 1, 7), (0, 5, 0)])
def test_rounding(value, base, expected):
    assert round_to(value, base) == expected


def test_a_count_that_would_round_below_k_is_withheld():
    published = protect([[12, 40], [40, 40]], k=11, base=5)
    assert published.cells[0][0] is None


def test_a_structural_cell_that_holds_people_is_a_programming_error():
    with pytest.raises(ValueError):
        protect([[1]], structural=[[True]])


def test_a_median_of_fewer_than_k_values_is_withheld():
    assert median([1.0] * 10, k=11) is None
    assert median([float(n) for n in range(11)], k=11) == 5.0
    assert median([float(n) for n in range(12)], k=11) == 5.5


def _pinned(n_rows, n_cols, order, entry):
    """Reference, with Fractions: whether every solution of the homogeneous system on the hidden
    entries has ``entry`` = 0, i.e. whether the published entries pin its value down."""
    from fractions import Fraction

    rows = []
    for line in lines(n_rows, n_cols):
        rows.append([Fraction(-1 if line.index(e) == len(line) - 1 else 1) if e in line else Fraction(0)
                     for e in order])
    width, pivots, r = len(order), [], 0
    for c in range(width):
        pivot = next((p for p in range(r, len(rows)) if rows[p][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        rows[r] = [v / rows[r][c] for v in rows[r]]
        for other in range(len(rows)):
            if other != r and rows[other][c] != 0:
                f = rows[other][c]
                rows[other] = [a - f * b for a, b in zip(rows[other], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    free = [c for c in range(width) if c not in pivots]
    x = order.index(entry)
    if x in free:
        return False
    row = rows[pivots.index(x)]
    return all(row[f] == 0 for f in free)


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.data())
def test_the_exact_check_agrees_with_a_rational_reference(n_rows, n_cols, data):
    entries = [("cell", i, j) for i in range(n_rows) for j in range(n_cols)]
    entries += [("row", i) for i in range(n_rows)] + [("col", j) for j in range(n_cols)] + [("grand",)]
    hidden = set(data.draw(st.lists(st.sampled_from(entries), unique=True)))
    assert determined(n_rows, n_cols, hidden) == {e for e in hidden if _pinned(n_rows, n_cols, sorted(hidden), e)}
