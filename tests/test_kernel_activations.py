"""The compiled activations against NumPy, including the float32 tanh/sigmoid approximation."""

import numpy as np
import pytest

from rnnkit import activations
from rnnkit.kernels.activations import activate, derivative


def test_fast_tanh_and_sigmoid_error_bound():
    # docs/layers.md states a largest absolute error of 3.1e-7 in float32 (3.5e-7 on a
    # CPU without FMA).
    x = np.linspace(-12, 12, 400_001).astype(np.float32)
    exact = x.astype(np.float64)
    for code, reference in (
        (activations.TANH, np.tanh(exact)),
        (activations.SIGMOID, 1 / (1 + np.exp(-exact))),
    ):
        v = x.copy()
        activate(code, v, False)
        assert np.abs(v - reference).max() < 3.6e-7
        assert v.max() <= 1.0


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
