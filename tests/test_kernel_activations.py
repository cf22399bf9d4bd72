"""The compiled activations against NumPy, including the float32 tanh/sigmoid approximation."""

import numpy as np
import pytest

from rnnkit import activations
from rnnkit.kernels.activations import activate, derivative


def test_fast_tanh_and_sigmoid_error_bound():
    # docs/layers.md states largest absolute errors of 3.1e-7 (tanh) and 1.9e-7 (sigmoid)
    # over every float32, 3.5e-7 and 2.0e-7 on a CPU without FMA
    # (scripts/fit_fast_tanh.py --check).
    x = np.linspace(-12, 12, 400_001).astype(np.float32)
    exact = x.astype(np.float64)
    for code, reference, bound, low in (
        (activations.TANH, np.tanh(exact), 3.5e-7, -1.0),
        (activations.SIGMOID, 1 / (1 + np.exp(-exact)), 2.1e-7, 0.0),
    ):
        v = x.copy()
        activate(code, v, False)
        assert np.abs(v - reference).max() < bound
        assert low <= v.min() and v.max() <= 1.0
    tiny = np.array([1e-6, -3e-5], np.float32)  # tanh x = x to float32 precision here
    v = tiny.copy()
    activate(activations.TANH, v, False)
    np.testing.assert_array_equal(v, tiny)


@pytest.mark.parametrize("name", activations.names())
def test_kernel_activations_match_numpy(name):
    act = activations.get(name)
    x = np.linspace(-4, 4, 1001)
    v = x.copy()
    activate(act.code, v, True)
    np.testing.assert_allclose(v, act(x), rtol=1e-12, atol=1e-12)
    d = np.empty_like(v)
    derivative(act.code, v, d)
    np.testing.assert_allclose(d, act.derivative_from_output(act(x)), rtol=1e-12, atol=1e-12)
