"""The comparison every verdict rests on: close within 1e-6 relative, never across NaN or inf."""

from __future__ import annotations

import numpy as np

from bptrace.codetrace.compare import close


def test_close_within_tolerance_only() -> None:
    a = np.array([[1.0, -2.0], [3e-8, 4.0]])
    assert close(a, a.copy()) and close(a * (1 + 1e-8), a)
    assert not close(a + 1e-3, a) and not close(a.T, a) and not close(a[0], a)
    assert close(np.zeros(3), np.zeros(3)) and close(np.zeros(0), np.zeros(0))
    assert close(np.array([1, 0, 2]), np.array([1.0, 0.0, 2.0]))
    assert close(np.array(2.0), np.array(2.0)) and not close(
        np.array(2.0), np.array(2.1)
    )  # 0-d: np.sum(dZ)  # integer arrays from integer inputs


def test_non_finite_values_are_never_close() -> None:
    a = np.array([1.0, 2.0])
    for bad in (np.array([np.nan, 2.0]), np.array([np.inf, 2.0]), np.array([-np.inf, 2.0])):
        assert not close(bad, a)  # the learner's value
        assert not close(a, bad)  # the truth
        assert not close(bad, bad)  # no verdict against a non-finite truth


def test_a_large_entry_lends_no_tolerance_to_other_rows_and_columns() -> None:
    """One huge entry used to set the absolute tolerance of every entry (1e-9 of it): a 0.5% error in an
    entry 10⁷ times smaller passed as rounding noise. In a float64 matrix each entry is judged at the scale
    of its own row and column."""
    expected = np.array([[1e4, 0.0, 0.0], [0.0, 1e-3, 2e-3], [0.0, 3e-3, 1e-3]])
    wrong = expected.copy()
    wrong[1, 1] *= 1.005
    assert not close(wrong, expected)
    assert close(expected * (1 + 1e-9), expected)
    wrong_big = expected.copy()
    wrong_big[0, 0] *= 1.005
    assert not close(wrong_big, expected)


def test_rounding_of_a_gradient_computed_another_way_stays_close() -> None:
    """No false alarm from the per-line scale: dW = X.T @ dZ summed sample by sample with σ′ written in
    another form, against one matmul, with features of very different scales, a constant feature (its row
    is a cancelling sum), an all-zero feature, a saturated unit and a dead one."""
    rng = np.random.default_rng(3)
    n = 400
    X = rng.standard_normal((n, 6)) * np.array([1e3, 1.0, 1e-3, 0.0, 1.0, 1.0])
    X[:, 4] = 1.0  # a constant feature
    Z = rng.standard_normal((n, 5))
    Z[:, 1] += 40.0  # saturated: 1 − σ(z) ≈ 4e-18, all rounding
    dA = rng.standard_normal((n, 5))
    dA -= dA.mean(axis=0)  # the constant feature's row cancels
    s = 1.0 / (1.0 + np.exp(-Z))
    dZ = dA * s * (1.0 - s)
    dZ[:, 3] = 0.0  # a dead unit
    expected = X.T @ dZ
    looped = np.zeros((6, 5))
    for k in range(n):
        e = np.exp(-Z[k])
        local = e / (1.0 + e) ** 2
        local[3] = 0.0
        looped += np.outer(X[k], dA[k] * local)
    assert close(looped, expected)
    assert close(looped.astype(np.float32), expected.astype(np.float32))


def test_blocked_route_gives_the_whole_array_verdict() -> None:
    """Large float64 matrices are compared a block of rows at a time (no fresh pages per call); the verdict
    must be the whole-array rule's on every kind of pair: right, rounding noise at and past the tolerance,
    one wrong entry, NaN/inf on either side, an all-zero truth, rows of very different scales (where the
    line test decides), a transposed view, blocks that do not divide the rows."""
    from bptrace.codetrace import compare

    rng = np.random.default_rng(7)
    rtol, scale = compare._TOLERANCES[8]
    routes = {True: 0, False: 0, None: 0}
    for shape in ((128, 784), (300, 97), (3, 20000), (2, 40000), (50000, 2)):
        truth = rng.standard_normal(shape)
        lopsided = truth * np.logspace(0, 8, shape[0])[:, None]  # one row dwarfs the others
        cases = [(truth.copy(), truth), (truth * (1 + 1e-9), truth), (truth * (1 + 1.5e-6), truth),
                 (truth + 0.9e-9 * np.abs(truth).max(), truth), (truth + 1.1e-9 * np.abs(truth).max(), truth),
                 (np.zeros(shape), np.zeros(shape)), (np.full(shape, 1e-13), np.zeros(shape)),
                 (lopsided * (1 + 1e-9), lopsided), (np.asfortranarray(truth.T).T, truth)]
        for k in range(1, 6):  # noise in a small row at the whole array's scale: within it, past its row's
            noisy = lopsided.copy()
            noisy[0, k % shape[1]] += 10.0 ** -k * np.abs(lopsided).max() * 1e-9
            cases.append((noisy, lopsided))
        for bad in (np.nan, np.inf, -np.inf, 1e-3):
            wrong = truth.copy()
            wrong[-1, -1] = bad if not np.isfinite(bad) else wrong[-1, -1] + bad
            cases += [(wrong, truth), (truth, np.where(np.isfinite(wrong), truth, wrong))]
        for got, expected in cases:
            whole = compare._close_whole(got, expected, 8, rtol, scale)
            assert compare.close(got, expected) == whole
            if compare._blockable(got, expected):
                blocked = compare._close_blocked(got, expected, rtol, scale)
                assert blocked in (None, whole)
                routes[blocked] += 1
    assert all(routes.values()), routes  # each route (true, false, left to the whole rule) was taken
