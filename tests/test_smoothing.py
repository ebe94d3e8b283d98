"""Tests for alignment.session.smoothing.OneEuroFilter."""

from __future__ import annotations

import math

import numpy as np
import pytest

from alignment.session.smoothing import OneEuroFilter

FPS = 30.0


def run(f: OneEuroFilter, values: np.ndarray, fps: float = FPS) -> np.ndarray:
    return np.array([f(v, i / fps) for i, v in enumerate(values)])


def test_first_value_passes_through_and_scalar_stays_scalar() -> None:
    f = OneEuroFilter()
    out = f(170.0, 0.0)
    assert out == 170.0 and isinstance(out, float)


def test_step_change_is_followed_within_0_2_s() -> None:
    """A knee going from 180 to 120 degrees: within 10 % of the step after <= 0.2 s."""
    signal = np.r_[np.full(30, 180.0), np.full(30, 120.0)]
    out = run(OneEuroFilter(), signal)
    settled = next(i for i in range(30, 60) if abs(out[i] - 120.0) <= 6.0)
    assert (settled - 29) / FPS <= 0.2
    assert abs(out[-1] - 120.0) < 0.5
    # A smaller movement (10 degrees) is also followed promptly.
    small = run(OneEuroFilter(), np.r_[np.full(30, 180.0), np.full(30, 170.0)])
    settled = next(i for i in range(30, 60) if abs(small[i] - 170.0) <= 1.0)
    assert (settled - 29) / FPS <= 0.25


def test_noisy_step_is_still_followed() -> None:
    rng = np.random.default_rng(3)
    signal = np.r_[np.full(45, 180.0), np.full(45, 120.0)] + rng.normal(0, 2.0, 90)
    out = run(OneEuroFilter(), signal)
    settled = next(i for i in range(45, 90) if abs(out[i] - 120.0) <= 6.0)
    assert (settled - 44) / FPS <= 0.2


@pytest.mark.parametrize("sigma", [1.0, 2.0, 4.0])
def test_jitter_is_reduced(sigma: float) -> None:
    rng = np.random.default_rng(0)
    signal = 150.0 + rng.normal(0.0, sigma, 300)
    out = run(OneEuroFilter(), signal)
    raw_sd, out_sd = signal[30:].std(), out[30:].std()
    assert out_sd < 0.6 * raw_sd
    assert abs(out[30:].mean() - 150.0) < sigma  # no bias


def test_arrays_are_filtered_elementwise() -> None:
    rng = np.random.default_rng(1)
    frames = 100.0 + rng.normal(0, 3.0, (40, 33, 3))
    whole = OneEuroFilter()
    outs = np.array([whole(frames[i], i / FPS) for i in range(40)])
    assert outs.shape == (40, 33, 3) and outs.dtype == np.float64
    single = OneEuroFilter()
    one = np.array([single(frames[i, 5, 2], i / FPS) for i in range(40)])
    assert outs[:, 5, 2] == pytest.approx(one)
    # the input array is not modified or aliased
    before = frames[10].copy()
    out = OneEuroFilter()(frames[10], 0.0)
    out += 1
    assert np.array_equal(frames[10], before)


def test_nan_entries_pass_through_and_restart_only_themselves() -> None:
    f = OneEuroFilter()
    for i in range(10):
        f(np.array([10.0, 20.0]), i / FPS)
    out = f(np.array([50.0, math.nan]), 10 / FPS)
    assert math.isnan(out[1])
    assert 10.0 < out[0] < 50.0  # entry 0 is still smoothed
    out = f(np.array([50.0, 80.0]), 11 / FPS)
    assert out[1] == 80.0  # entry 1 restarted at the raw value, no stale 20 dragged in
    assert out[0] < 50.0
    # a NaN scalar gives NaN and restarts
    g = OneEuroFilter()
    g(1.0, 0.0)
    assert math.isnan(g(math.nan, 1 / FPS))
    assert g(5.0, 2 / FPS) == 5.0


def test_time_gap_resets() -> None:
    f = OneEuroFilter(max_gap_s=0.5)
    for i in range(10):
        f(10.0, i / FPS)
    assert f(100.0, 9 / FPS + 0.6) == 100.0  # person left and came back: no stale value
    assert f(10.0, 9 / FPS + 0.6 + 1 / FPS) < 100.0


def test_time_going_backwards_restarts_and_reset() -> None:
    f = OneEuroFilter()
    f(10.0, 1.0)
    f(10.0, 1.0 + 1 / FPS)
    assert f(50.0, 0.5) == 50.0
    f.reset()
    assert f(70.0, 0.6) == 70.0


def test_variable_frame_rate_uses_real_time() -> None:
    """The same signal sampled at 15 and 60 fps ends near the same value after 0.3 s."""
    step = {}
    for fps in (15.0, 60.0):
        f = OneEuroFilter()
        n = int(fps)
        values = np.r_[np.full(n, 180.0), np.full(n, 120.0)]
        out = run(f, values, fps)
        step[fps] = out[n + round(0.3 * fps) - 1]
    assert step[15.0] == pytest.approx(step[60.0], abs=3.0)


def test_shape_change_restarts() -> None:
    f = OneEuroFilter()
    f(np.zeros(3), 0.0)
    out = f(np.ones((2, 2)), 1 / FPS)
    assert np.array_equal(out, np.ones((2, 2)))


def test_invalid_parameters() -> None:
    with pytest.raises(ValueError):
        OneEuroFilter(min_cutoff=0)
    with pytest.raises(ValueError):
        OneEuroFilter(beta=-1)
