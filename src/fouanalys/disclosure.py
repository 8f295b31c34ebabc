"""Disclosure control for tables of counts with margins: primary and complementary suppression.

A table here is a numpy array of counts (the number of respondents each cell rests on) in which,
along every axis, the **last** position is the margin of the positions before it::

    cells[..., -1, ...] = cells[..., 0, ...] + ... + cells[..., k - 1, ...] + remainder

where the remainder holds respondents counted in the margin but in no published part (e.g. the
all-sexes total holding respondents of other or blank sex). Every such line of the table is one
linear relation "margin − sum of parts = remainder".

**The remainder is a published cell.** A reader who sees the margin and every part subtracts and
gets it, so a remainder of 1 to ``threshold − 1`` respondents is disclosed exactly as a printed
count would be. :func:`suppress_with_remainder` makes the remainder along one axis an explicit
part (before the margin) and protects it like any other cell: a small remainder is a primary
cell, and complementary suppression hides a part or the margin of its line (and whatever more
keeps it unrecoverable). A remainder of at least ``threshold`` respondents counts as published
(a reader may work it out; complementary suppression may still hide it, which costs no printed
number), one of 0 as a known zero. :func:`suppress` alone treats every remainder as a known
constant, which is right only where the table has none (as along the grade and region axes).

Rules, applied by :func:`suppress`:

1. *Primary*: a cell resting on fewer respondents than the threshold is not published.
2. *Complementary*: no unpublished cell may be recoverable from the published ones. First a fast
   pass over the relations: a relation with exactly one unpublished unknown member gets a second
   suppression (its unpublished-able part with the fewest respondents; parts before the margin).
   Then an exact check with linear algebra: an unpublished cell *i* is recoverable iff its unit
   vector lies in the row space of the relation matrix restricted to the unpublished cells
   (equivalently, iff every vector of that matrix's null space is zero at *i*); the row space
   comes from a rank-revealing (column-pivoted) QR, which on these small 0/±1 matrices is exact
   to rounding and, unlike numpy's threaded SVD, costs a fraction of a millisecond. While some
   cell is recoverable, one more cell next to it is suppressed (the cheapest neighbour that makes it
   unrecoverable, else the cheapest neighbour), and the check is repeated.

Cells with no respondents are known zeros (an attacker may know that a school had no pupils in a
grade); they are never "protected" and never protect another cell. A cell whose value follows
from known cells alone (for instance an all-sexes total whose every published part is zero, so it
equals the known remainder) cannot be protected by suppression and is treated as known as well.

What this does not cover, by design: attacks through bounds (non-negativity, integer counts)
rather than exact linear relations, and group disclosure of a sum of several suppressed cells.
A group of 0 is not a group: empty cells (and empty remainders) are published as such.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from itertools import combinations

import numpy as np

from fouanalys.exceptions import SuppressionError

log = logging.getLogger("fouanalys")

_TOL = 1e-8


@lru_cache(maxsize=32)
def _relations(shape: tuple[int, ...]) -> np.ndarray:
    size = int(np.prod(shape))
    idx = np.arange(size).reshape(shape)
    blocks = []
    for ax, length in enumerate(shape):
        if length < 2:
            continue
        lines = np.moveaxis(idx, ax, -1).reshape(-1, length)
        block = np.zeros((lines.shape[0], size))
        rows = np.arange(lines.shape[0])[:, None]
        block[rows, lines[:, :-1]] = -1.0
        block[rows[:, 0], lines[:, -1]] = 1.0
        blocks.append(block)
    matrix = np.vstack(blocks) if blocks else np.zeros((0, size))
    matrix.setflags(write=False)
    return matrix


def relation_matrix(shape: tuple[int, ...]) -> np.ndarray:
    """The linear relations of a table with margins, one row per line along each axis.

    Each row has +1 at the margin cell and −1 at each part of one line (cells flattened in C
    order); the table satisfies ``relation_matrix(shape) @ cells.ravel() == remainders``.
    """
    return _relations(tuple(int(s) for s in shape))


def recoverable(unknown: np.ndarray) -> np.ndarray:
    """Which unknown cells are uniquely determined by the relations, every other cell known.

    ``unknown`` is a boolean array of the table's shape (the unpublished cells an attacker does
    not know). Returns a boolean array of the same shape, True where an unknown cell's value
    follows from the published cells; never True outside ``unknown``.
    """
    unknown = np.asarray(unknown, dtype=bool)
    out = np.zeros(unknown.shape, dtype=bool)
    columns = np.flatnonzero(unknown.ravel())
    if columns.size == 0:
        return out
    a = relation_matrix(unknown.shape)[:, columns]
    a = a[np.any(a != 0, axis=1)]
    if a.shape[0] == 0:
        return out
    # scipy.linalg costs about 0.2 s to import, which a chapter's first cell would pay through
    # every module that imports this one; only this check needs it.
    from scipy.linalg import qr

    # Rank-revealing QR of the transposed relations: the first `rank` columns of q are an
    # orthonormal basis of the row space; a unit vector lies in it iff its projection has norm 1.
    q, r, _ = qr(a.T, mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    rank = int(np.sum(diag > _TOL * max(1.0, diag[0])))
    determined = np.sum(q[:, :rank] ** 2, axis=1) > 1.0 - _TOL
    out.ravel()[columns[determined]] = True
    return out


def suppress(
    cells: np.ndarray,
    threshold: int,
    *,
    primary: np.ndarray | None = None,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """Cells to leave unpublished in a table of counts whose last position per axis is a margin.

    ``cells`` holds the number of respondents each cell rests on; it decides the primary rule
    (``cells < threshold``, unless ``primary`` is given) and which cell a complementary
    suppression takes (fewest respondents first, parts before margins). ``known`` marks cells an
    attacker knows regardless (default: cells with no respondents). Returns a boolean mask, True
    = suppressed; it includes every primary cell (so cells with no respondents, when the
    threshold is positive) and leaves no suppressed cell outside ``known`` recoverable.
    """
    n = np.asarray(cells, dtype=float)
    known = (n == 0) if known is None else np.asarray(known, dtype=bool).copy()
    mask = (n < threshold) if primary is None else np.asarray(primary, dtype=bool).copy()
    if not np.any(mask & ~known):
        return mask
    if known.any():
        # Cells fixed by known cells alone: suppression cannot hide them, so treat them as known.
        fixed = recoverable(~known)
        if np.any(fixed & mask):
            log.debug(
                "%d suppressed cells follow from known cells alone", int((fixed & mask).sum())
            )
        known |= fixed
    cost = n.copy()
    big = 1.0 + 2.0 * max(1.0, float(np.nanmax(np.abs(n))))
    for ax in range(n.ndim):
        margin = [slice(None)] * n.ndim
        margin[ax] = -1
        cost[tuple(margin)] += big  # parts before margins

    for _ in range(n.size + 1):
        _pair_pass(mask, known, cost)
        exposed = recoverable(mask & ~known)
        if not exposed.any():
            return mask
        target = int(np.flatnonzero(exposed.ravel())[0])
        mask.ravel()[_protector(target, mask, known, cost)] = True
    raise SuppressionError("complementary suppression did not converge")  # pragma: no cover


def small(counts: np.ndarray, threshold: int) -> np.ndarray:
    """True where a count is a small group: at least 1 and below ``threshold`` (0 is no group)."""
    counts = np.asarray(counts, dtype=float)
    return (counts > 0) & (counts < threshold)


def remainder(cells: np.ndarray, axis: int = -1) -> np.ndarray:
    """Margin minus the sum of the parts along ``axis`` (the axis removed)."""
    n = np.moveaxis(np.asarray(cells, dtype=float), axis, -1)
    return n[..., -1] - n[..., :-1].sum(axis=-1)


def suppress_with_remainder(
    cells: np.ndarray,
    threshold: int,
    *,
    axis: int = -1,
    primary: np.ndarray | None = None,
    remainder_primary: np.ndarray | None = None,
) -> np.ndarray:
    """Like :func:`suppress`, with the remainder along ``axis`` protected as a published cell.

    The remainder (margin − parts, per line along ``axis``) becomes an explicit part before the
    margin. It is primary when it is a small group (1 to ``threshold − 1`` respondents, or where
    ``remainder_primary`` says so, an array of the table's shape without ``axis``), a known zero
    when 0, else published. Returns the mask for ``cells`` (the remainder dropped):
    no small remainder is recoverable from the cells it leaves published.
    """
    n = np.moveaxis(np.asarray(cells, dtype=float), axis, -1)
    rest = n[..., -1] - n[..., :-1].sum(axis=-1)
    if remainder_primary is None:
        rest_primary = small(rest, threshold)
    else:
        rest_primary = np.asarray(remainder_primary, dtype=bool)
    prim = n < threshold if primary is None else np.moveaxis(np.asarray(primary, bool), axis, -1)
    ext = np.concatenate([n[..., :-1], rest[..., None], n[..., -1:]], axis=-1)
    ext_primary = np.concatenate([prim[..., :-1], rest_primary[..., None], prim[..., -1:]], axis=-1)
    known = np.concatenate([n[..., :-1] == 0, (rest == 0)[..., None], n[..., -1:] == 0], axis=-1)
    mask = suppress(ext, threshold, primary=ext_primary, known=known)
    mask = np.concatenate([mask[..., :-2], mask[..., -1:]], axis=-1)
    return np.moveaxis(mask, -1, axis)


def small_differences(line: np.ndarray, mask: np.ndarray, threshold: int) -> list[tuple[int, ...]]:
    """Published parts whose sum, taken from the published margin, leaves a small group.

    ``line`` is one line of counts (parts, then the margin), ``mask`` its suppression mask.
    Returns the subsets of part positions (as tuples) for which margin − their sum is 1 to
    ``threshold − 1``: a reader gets a group of unpublished parts and remainder that way.
    """
    line = np.asarray(line, dtype=float)
    if mask[-1]:
        return []
    parts = [i for i in range(line.size - 1) if not mask[i]]
    found = []
    for k in range(len(parts) + 1):
        for subset in combinations(parts, k):
            if small(line[-1] - line[list(subset)].sum(), threshold):
                found.append(subset)
    return found


def protect_line(line: np.ndarray, threshold: int) -> np.ndarray:
    """Suppression mask for one line (parts, then the margin) with the remainder a published cell.

    Starts from :func:`suppress_with_remainder` and then hides more (the published part with
    the fewest respondents, else the margin) until no difference of published numbers in the
    line — margin minus any published parts — is a group of 1 to ``threshold − 1``.
    """
    line = np.asarray(line, dtype=float)
    mask = suppress_with_remainder(line, threshold)
    while small_differences(line, mask, threshold):
        parts = [i for i in range(line.size - 1) if not mask[i]]
        pick = min(parts, key=lambda i: line[i]) if parts else line.size - 1
        mask[pick] = True
    return mask


def _pair_pass(mask: np.ndarray, known: np.ndarray, cost: np.ndarray) -> None:
    """Give every relation with exactly one unknown unpublished member a second one (in place)."""
    changed = True
    while changed:
        changed = False
        for ax in range(mask.ndim):
            if mask.shape[ax] < 2:
                continue
            unknown = mask & ~known
            need = unknown.sum(axis=ax, keepdims=True) == 1
            if not need.any():
                continue
            candidate_cost = np.where(~mask & ~known, cost, np.inf)
            pick = np.argmin(candidate_cost, axis=ax, keepdims=True)
            ok = need & np.isfinite(np.take_along_axis(candidate_cost, pick, axis=ax))
            if ok.any():
                add = np.zeros_like(mask)
                np.put_along_axis(add, pick, ok, axis=ax)
                mask |= add
                changed = True


def _protector(target: int, mask: np.ndarray, known: np.ndarray, cost: np.ndarray) -> int:
    """The flat index of the cell to suppress next so that cell ``target`` stops being exposed."""
    relations = relation_matrix(mask.shape)
    lines = relations[relations[:, target] != 0]
    neighbours = np.flatnonzero(np.any(lines != 0, axis=0))
    free = (~mask & ~known).ravel()
    flat_cost = cost.ravel()
    candidates = neighbours[free[neighbours]]
    if candidates.size == 0:
        candidates = np.flatnonzero(free)
    if candidates.size == 0:  # pragma: no cover - excluded by treating fixed cells as known
        raise SuppressionError("no cell left to suppress")
    candidates = candidates[np.argsort(flat_cost[candidates], kind="stable")]
    unknown = (mask & ~known).ravel()
    for c in candidates:
        trial = unknown.copy()
        trial[c] = True
        if not recoverable(trial.reshape(mask.shape)).ravel()[target]:
            return int(c)
    return int(candidates[0])
