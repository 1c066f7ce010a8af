"""Tests for analysis.timing.nulls: surrogate generators keep what they promise to keep."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.timing.nulls import (
    NULL_ASSUMPTIONS,
    NULLS,
    circular_shift_surrogates,
    cluster_labels,
    jitter_ranges,
    jitter_surrogates,
    make_rng,
    uniform_surrogates,
)


def test_every_null_has_an_assumption() -> None:
    assert set(NULLS) == set(NULL_ASSUMPTIONS)
    assert all(len(v) > 30 for v in NULL_ASSUMPTIONS.values())


def test_uniform_surrogates_range_and_shape() -> None:
    s = uniform_surrogates(7, 10, 19, 5000, seed=1)
    assert s.shape == (5000, 7)
    assert s.min() == 10 and s.max() == 19
    # roughly uniform over the 10 days
    counts = np.bincount(s.ravel() - 10, minlength=10)
    assert counts.min() > 0.08 * s.size and counts.max() < 0.12 * s.size


def test_circular_shift_all_shifts() -> None:
    s = circular_shift_surrogates([0, 3, 9], 0, 9)
    assert s.shape == (10, 3)
    np.testing.assert_array_equal(s[0], [0, 3, 9])
    np.testing.assert_array_equal(s[1], [1, 4, 0])
    # gaps between releases are preserved modulo the period
    np.testing.assert_array_equal((s[:, 1] - s[:, 0]) % 10, 3)
    np.testing.assert_array_equal(circular_shift_surrogates([5], 5, 7, shifts=[2]), [[7]])


def test_cluster_labels() -> None:
    days = [10, 3, 3, 4, 20, 12]
    np.testing.assert_array_equal(cluster_labels(days, 0), [2, 0, 0, 1, 4, 3])
    np.testing.assert_array_equal(cluster_labels(days, 1), [1, 0, 0, 0, 3, 2])
    np.testing.assert_array_equal(cluster_labels(days, 2), [1, 0, 0, 0, 2, 1])
    with pytest.raises(ValueError, match="cluster_gap = -1 must be >= 0"):
        cluster_labels(days, -1)


def test_jitter_ranges_bins_and_end() -> None:
    # period [0, 99], bins of 30: [0,29], [30,59], [60,89], [90,99]
    labels, offsets, lo, hi = jitter_ranges([5, 31, 95, 97], 0, 99, 30, cluster_gap=0)
    np.testing.assert_array_equal(lo, [0, 30, 90, 90])
    np.testing.assert_array_equal(hi, [29, 59, 99, 99])
    np.testing.assert_array_equal(offsets, 0)
    # cluster_gap 2 joins 95 and 97 into a block of span 2: its anchor may go up to 97
    labels, offsets, lo, hi = jitter_ranges([5, 31, 95, 97], 0, 99, 30, cluster_gap=2)
    np.testing.assert_array_equal(labels, [0, 1, 2, 2])
    np.testing.assert_array_equal(offsets, [0, 0, 0, 2])
    np.testing.assert_array_equal(hi, [29, 59, 97])


def test_jitter_surrogates_stay_in_bin_and_keep_clusters() -> None:
    rng = np.random.default_rng(0)
    r = np.sort(rng.integers(0, 365, 40))
    r = np.concatenate([r, r[:5]])  # some same-day releases
    s = jitter_surrogates(r, 0, 364, 30, 2000, seed=2, cluster_gap=0)
    assert s.shape == (2000, r.size)
    assert s.min() >= 0 and s.max() <= 364
    # same bin as the observed release
    np.testing.assert_array_equal(s // 30, np.broadcast_to(r // 30, s.shape))
    # same-day releases move together
    lab = cluster_labels(r, 0)
    for c in np.unique(lab):
        cols = s[:, lab == c]
        assert np.all(cols == cols[:, :1])
    # within a bin every day is reachable (uniform draw)
    assert np.unique(s[:, 0]).size == min(30, 365 - (r[0] // 30) * 30)


def test_jitter_block_keeps_spacing() -> None:
    r = [40, 42, 45, 200]
    s = jitter_surrogates(r, 0, 364, 30, 1000, seed=5, cluster_gap=3)
    np.testing.assert_array_equal(s[:, 1] - s[:, 0], 2)
    np.testing.assert_array_equal(s[:, 2] - s[:, 0], 5)
    assert np.all((s[:, 0] >= 30) & (s[:, 0] <= 59))


def test_reproducible_and_seed_checks() -> None:
    a = jitter_surrogates([3, 50], 0, 99, 10, 100, seed=9)
    b = jitter_surrogates([3, 50], 0, 99, 10, 100, seed=9)
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    assert make_rng(g) is g
    with pytest.raises(ValueError, match="seed = -1 is negative"):
        make_rng(-1)
    with pytest.raises(ValueError, match="seed = 'x' is not allowed"):
        make_rng("x")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: uniform_surrogates(3, 10, 5, 10), r"end \(5\) is before start \(10\)"),
        (lambda: uniform_surrogates(3, 0, 5, 0), "n_surrogates = 0 must be >= 1"),
        (lambda: jitter_surrogates([1], 0, 9, 0, 10), "jitter_days = 0 must be >= 1"),
        (lambda: jitter_surrogates([11], 0, 9, 5, 10), r"releases\[0\] = 11 lies outside"),
        (lambda: circular_shift_surrogates([-1], 0, 9), r"releases\[0\] = -1 lies outside"),
    ],
)
def test_errors(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()
