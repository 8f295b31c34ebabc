"""Tests for fouanalys.disclosure: primary and complementary suppression of tables with margins.

Recoverability is checked here with code written independently of the package: the relations
are spelled out with loops, and a cell counts as recoverable when its unit vector lies in the row
space of the relation matrix restricted to the unknown cells, decided exactly by integer
elimination modulo a prime (the package uses a floating-point pivoted QR instead).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import unit_rows_fixed

from fouanalys.disclosure import (
    recoverable,
    relation_matrix,
    remainder,
    small,
    suppress,
    suppress_with_remainder,
)


# --- independent reference -----------------------------------------------------------------------
def relations_by_hand(shape: tuple[int, ...]) -> np.ndarray:
    """One row per line along each axis: margin (last position) minus the parts."""
    cells = list(itertools.product(*[range(s) for s in shape]))
    where = {c: i for i, c in enumerate(cells)}
    rows = []
    for ax, length in enumerate(shape):
        others = [range(s) for j, s in enumerate(shape) if j != ax]
        for rest in itertools.product(*others):
            row = np.zeros(len(cells))
            for k in range(length):
                cell = list(rest)
                cell.insert(ax, k)
                row[where[tuple(cell)]] = 1.0 if k == length - 1 else -1.0
            rows.append(row)
    return np.array(rows)


def exposed_by_hand(unknown: np.ndarray) -> set[tuple[int, ...]]:
    """Unknown cells whose value the relations fix, by exact elimination."""
    flat = np.flatnonzero(unknown.ravel())
    if flat.size == 0:
        return set()
    fixed = unit_rows_fixed(relations_by_hand(unknown.shape)[:, flat].astype(np.int64))
    return {tuple(int(i) for i in np.unravel_index(c, unknown.shape)) for c in flat[fixed]}


def attacker_known(n: np.ndarray) -> np.ndarray:
    """Cells an attacker knows: empty cells, and cells those alone fix (every remainder known)."""
    known = n == 0
    fixed = exposed_by_hand(~known)
    for cell in fixed:
        known[cell] = True
    return known


def with_margins(base: np.ndarray) -> np.ndarray:
    """(M, G, 3: Pojke, Flicka, other) -> (M+1, G+1, 3: Pojke, Flicka, Alla incl. other)."""
    a = np.concatenate([base[..., :2], base.sum(axis=-1, keepdims=True)], axis=-1)
    a = np.concatenate([a, a.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([a, a.sum(axis=0, keepdims=True)], axis=0)


# --- the relations -------------------------------------------------------------------------------
def test_relation_matrix_matches_hand_built_relations():
    for shape in [(3, 3), (9, 3, 3), (4, 2), (2, 3, 4)]:
        ours = relation_matrix(shape)
        theirs = relations_by_hand(shape)
        assert ours.shape == theirs.shape
        # Same set of rows (order may differ).
        assert sorted(map(tuple, ours)) == sorted(map(tuple, theirs))


def test_relations_hold_on_a_table_up_to_the_other_sex_remainder():
    rng = np.random.default_rng(3)
    base = rng.integers(0, 20, size=(8, 2, 3))
    table = with_margins(base)
    residual = relation_matrix(table.shape) @ table.ravel()
    other = base[..., 2]
    # Only the sex lines leave a remainder: the respondents of other or blank sex.
    expected_other = np.concatenate([other, other.sum(axis=1, keepdims=True)], axis=1)
    expected_other = np.concatenate([expected_other, expected_other.sum(0, keepdims=True)], 0)
    assert sorted(residual[residual != 0]) == sorted(expected_other[expected_other != 0])


# --- recoverable ---------------------------------------------------------------------------------
def test_single_suppressed_cell_in_a_line_is_recoverable():
    unknown = np.zeros((3, 3), bool)
    unknown[0, 0] = True
    assert recoverable(unknown)[0, 0]


def test_rectangle_of_four_protects_itself():
    unknown = np.zeros((3, 3), bool)
    unknown[np.ix_([0, 1], [0, 1])] = True
    assert not recoverable(unknown).any()


def test_bridge_between_two_cycles_is_recoverable_although_every_line_has_two():
    # Rows 0,1 x cols 0,1 and rows 2,3 x cols 2,3 are closed cycles; cell (0, 2) joins them.
    unknown = np.zeros((6, 6), bool)
    unknown[np.ix_([0, 1], [0, 1])] = True
    unknown[np.ix_([2, 3], [2, 3])] = True
    unknown[0, 2] = True
    assert (unknown[:, :].sum(axis=0)[:5] != 1).all() and (unknown.sum(axis=1)[:5] != 1).all()
    got = recoverable(unknown)
    assert {tuple(map(int, c)) for c in zip(*np.nonzero(got), strict=True)} == {(0, 2)}
    assert exposed_by_hand(unknown) == {(0, 2)}


def test_suppress_closes_the_bridge():
    n = np.full((6, 6), 50)
    n[:5, 5] = 250
    n[5, :] = 250
    n[5, 5] = 1250
    n[0, 2] = 2  # primary
    mask = suppress(n, 5)
    assert mask[0, 2]
    assert exposed_by_hand(mask & (n > 0)) == set()


# --- suppress ------------------------------------------------------------------------------------
def test_nothing_to_suppress_leaves_the_table_published():
    n = with_margins(np.full((8, 2, 3), 10))
    assert not suppress(n, 5).any()


def test_one_small_cell_takes_a_box_of_partners_with_it():
    base = np.full((8, 2, 3), 20)
    base[2, 0, 0] = 3
    n = with_margins(base)
    mask = suppress(n, 5)
    assert mask[2, 0, 0]
    assert mask.sum() >= 4  # the cell needs partners along each of its three lines
    assert exposed_by_hand(mask & (n > 0)) == set()
    # Fewest respondents first, parts before margins: its partners are parts, not totals.
    assert not mask[8].any() and not mask[:, 2].any() and not mask[..., 2].any()


def test_empty_cells_are_known_and_need_no_partners():
    base = np.full((8, 2, 3), 20)
    base[5] = 0  # a municipality without respondents that year
    n = with_margins(base)
    mask = suppress(n, 5)
    assert mask[5].all()  # empty cells publish nothing (0 < threshold) ...
    assert mask.sum() == 9  # ... and force no complementary suppression


def test_total_fixed_by_known_cells_alone_does_not_loop():
    # Only respondents of other sex in one cell: its all-sexes total equals the known remainder.
    base = np.full((8, 2, 3), 20)
    base[1, 1] = [0, 0, 3]
    n = with_margins(base)
    mask = suppress(n, 5)
    assert mask[1, 1].all()
    known = attacker_known(n)
    assert known[1, 1, 2]
    assert exposed_by_hand(mask & ~known) == set()


def test_primary_and_known_can_be_given():
    n = np.array([[30, 30, 60], [30, 30, 60], [60, 60, 120]])
    primary = np.zeros((3, 3), bool)
    primary[0, 0] = True
    mask = suppress(n, 5, primary=primary)
    assert mask[0, 0] and mask.sum() == 4


@st.composite
def three_way_tables(draw):
    small = st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12, 30])
    base = np.array(draw(st.lists(small, min_size=48, max_size=48))).reshape(8, 2, 3)
    return with_margins(base), draw(st.integers(1, 6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_way_tables())
def test_property_no_small_published_cell_and_no_recoverable_suppressed_cell(case):
    n, threshold = case
    mask = suppress(n, threshold)
    assert (n[~mask] >= threshold).all()
    assert mask[n < threshold].all()
    known = attacker_known(n)
    assert exposed_by_hand(mask & ~known) == set()


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, 6),
    st.integers(2, 4),
    st.data(),
)
def test_property_two_way_tables_with_a_given_primary(rows, cols, data):
    parts = np.array(
        data.draw(st.lists(st.integers(1, 40), min_size=rows * cols, max_size=rows * cols))
    ).reshape(rows, cols)
    n = np.pad(parts, ((0, 1), (0, 1)))
    n[:-1, -1] = parts.sum(axis=1)
    n[-1, :] = n[:-1, :].sum(axis=0)
    flat = data.draw(st.lists(st.booleans(), min_size=n.size, max_size=n.size))
    primary = np.array(flat).reshape(n.shape)
    mask = suppress(n, 0, primary=primary)
    assert mask[primary].all()
    assert exposed_by_hand(mask) == set()


def test_many_tables_are_fast():
    import time

    rng = np.random.default_rng(11)
    start = time.perf_counter()
    for _ in range(200):
        base = rng.choice([0, 1, 2, 3, 6, 9, 15, 40], size=(8, 2, 3))
        suppress(with_margins(base), 5)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("threshold", [1, 5, 10])
def test_mask_is_deterministic(threshold):
    rng = np.random.default_rng(threshold)
    n = with_margins(rng.choice([0, 2, 4, 7, 20], size=(8, 2, 3)))
    assert (suppress(n, threshold) == suppress(n.copy(), threshold)).all()


# --- the remainder is a published cell --------------------------------------------------------
def with_explicit_other(base: np.ndarray) -> np.ndarray:
    """(M, G, 3) -> (M+1, G+1, 4: Pojke, Flicka, other, Alla), every line exact."""
    a = np.concatenate([base, base.sum(axis=-1, keepdims=True)], axis=-1)
    a = np.concatenate([a, a.sum(axis=1, keepdims=True)], axis=1)
    return np.concatenate([a, a.sum(axis=0, keepdims=True)], axis=0)


def small_groups_exposed(base: np.ndarray, mask: np.ndarray, threshold: int) -> set:
    """Small groups (printed cells or remainders of 1..threshold-1) an attacker can recover.

    The attacker knows every printed cell the mask leaves published and every empty cell; the
    remainders (other sex) are unknowns unless empty.
    """
    full = with_explicit_other(base)
    unknown = np.zeros(full.shape, bool)
    unknown[..., [0, 1, 3]] = mask
    unknown[..., 2] = full[..., 2] > 0
    exposed = exposed_by_hand(unknown)
    return {c for c in exposed if 0 < full[c] < threshold}


def test_a_small_remainder_is_published_by_plain_suppress_and_protected_with_remainder():
    # Sundbyberg 2018 gy 2 in the old example: Alla − Pojkar − Flickor = 2.
    base = np.array([[[60, 55, 3], [48, 50, 2]]])
    n = with_margins(base)
    assert not suppress(n, 5).any()  # the old rule: nothing hidden, the 2 follows by subtraction
    assert small_groups_exposed(base, suppress(n, 5), 5)
    mask = suppress_with_remainder(n, 5)
    assert mask.any()
    assert small_groups_exposed(base, mask, 5) == set()


def test_remainder_and_small():
    n = np.array([[10, 7, 19], [5, 5, 10]])
    assert remainder(n).tolist() == [2, 0]
    assert small(np.array([0, 1, 4, 5]), 5).tolist() == [False, True, True, False]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_way_tables())
def test_property_no_small_group_recoverable_remainders_included(case):
    n, threshold = case
    # three_way_tables gives margins; rebuild the base with its other-sex column
    base = np.zeros((n.shape[0] - 1, n.shape[1] - 1, 3), dtype=np.int64)
    base[..., :2] = n[:-1, :-1, :2]
    base[..., 2] = n[:-1, :-1, 2] - n[:-1, :-1, :2].sum(axis=-1)
    mask = suppress_with_remainder(n, threshold)
    assert (n[~mask] >= threshold).all()
    assert small_groups_exposed(base, mask, threshold) == set()


@pytest.mark.parametrize("line", [[6, 3, 10], [210, 190, 402], [40, 2, 45], [7, 7, 14], [3, 0, 3]])
def test_protect_line_leaves_no_small_difference_of_printed_numbers(line):
    from fouanalys.disclosure import protect_line, small_differences

    line = np.array(line)
    mask = protect_line(line, 5)
    assert small_differences(line, mask, 5) == []
    assert not small(line[~mask], 5).any()
