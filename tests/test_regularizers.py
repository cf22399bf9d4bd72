import math
import re

import numpy as np
import pytest

from rnnkit import regularizers as reg
from rnnkit.errors import ArgumentError, ArgumentTypeError

W = np.array([[1.0, -2.0], [0.0, 3.0]])  # sum|w| = 6, sum w^2 = 14


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize(
    ("regularizer", "expected"),
    [
        (reg.L1(0.1), 0.1 * 6),
        (reg.L2(0.1), 0.1 * 14),
        (reg.L1L2(0.1, 0.2), 0.1 * 6 + 0.2 * 14),
        (reg.L1L2(), 0.0),
    ],
)
def test_penalty_values(regularizer, expected):
    value = regularizer(W)
    assert type(value) is float
    assert value == pytest.approx(expected, rel=1e-15)
    # A plain sum, not a mean: four copies of W give four times the penalty.
    assert regularizer(np.tile(W, (2, 2))) == pytest.approx(4 * expected, rel=1e-15)


def test_float32_and_integer_inputs():
    assert reg.L2(0.5)(W.astype(np.float32)) == pytest.approx(7.0)
    assert reg.L1(1.0)([[1, -2], [0, 3]]) == 6.0


@pytest.mark.parametrize(
    ("identifier", "l1", "l2"),
    [
        ("l1", 0.01, None),
        ("l2", None, 0.01),
        ("l1_l2", 0.01, 0.01),  # Keras 2 semantics
        ("l1l2", 0.0, 0.0),  # the L1L2 class default
        ("L1L2", 0.0, 0.0),  # class names give the class defaults
        ("L1", 0.01, None),
    ],
)
def test_registry_defaults(identifier, l1, l2):
    regularizer = reg.get(identifier)
    assert regularizer is not reg.get(identifier)
    assert getattr(regularizer, "l1", None) == l1
    assert getattr(regularizer, "l2", None) == l2


def test_function_and_class_defaults():
    assert reg.l1_l2().get_config() == {"l1": 0.01, "l2": 0.01}
    assert reg.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert reg.l1().get_config() == {"l1": 0.01} and reg.l2(0.3).get_config() == {"l2": 0.3}
    assert isinstance(reg.l1(), reg.L1) and isinstance(reg.l2(), reg.L2)


@pytest.mark.parametrize("regularizer", [reg.L1(0.3), reg.L2(0.7), reg.L1L2(0.3, 0.7)])
def test_gradient_matches_central_differences(regularizer, rng):
    w = rng.normal(size=(3, 4))
    w += np.sign(w) * 0.1  # keep |w| away from the kink of |.| at 0
    numeric = np.zeros_like(w)
    step = 1e-6
    for index in np.ndindex(w.shape):
        plus, minus = w.copy(), w.copy()
        plus[index] += step
        minus[index] -= step
        numeric[index] = (regularizer(plus) - regularizer(minus)) / (2 * step)
    analytic = regularizer.gradient(w)
    error = np.abs(analytic - numeric).max() / np.abs(numeric).max()
    assert error < 1e-6


def test_gradient_formula_dtype_and_zero():
    w = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
    grad = reg.L1L2(0.5, 0.25).gradient(w)
    assert grad.dtype == np.float32 and grad.shape == w.shape and grad is not w
    np.testing.assert_allclose(grad, [-0.5 - 1.0, 0.0, 0.5 + 1.5])
    np.testing.assert_array_equal(reg.L1(0.5).gradient(w), np.float32([-0.5, 0.0, 0.5]))
    np.testing.assert_array_equal(reg.L2(0.5).gradient(w), w)
    assert reg.L1(1.0).gradient([1, -1]).dtype == np.float64


def test_get_passthrough_and_round_trip():
    assert reg.get(None) is None and reg.serialize(None) is None
    instance = reg.L1L2(0.2, 0.3)
    assert reg.get(instance) is instance
    assert type(reg.get(reg.L2)) is reg.L2
    # A snake-case name in a dict calls that function: l1_l2 fills in its own defaults.
    assert reg.get({"class_name": "l1_l2", "config": {"l2": 0.5}}).get_config() == {
        "l1": 0.01,
        "l2": 0.5,
    }
    for regularizer in (reg.L1(0.4), reg.L2(0.5), reg.L1L2(0.1, 0.2)):
        config = reg.serialize(regularizer)
        rebuilt = reg.get(config)
        assert type(rebuilt) is type(regularizer)
        assert rebuilt.get_config() == regularizer.get_config()
        assert rebuilt(W) == regularizer(W)
        assert type(regularizer).from_config(regularizer.get_config())(W) == regularizer(W)
    assert repr(reg.L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        reg.Regularizer()(W)
    with pytest.raises(NotImplementedError):
        reg.Regularizer().gradient(W)


AE, TE = ArgumentError, ArgumentTypeError
BAD = [
    (lambda: reg.L1(-0.1), AE, "L1: `l1` must be a finite number >= 0; got -0.1."),
    (lambda: reg.L2(math.nan), AE, "L2: `l2` must be a finite number >= 0; got nan."),
    (lambda: reg.L1L2(l2=math.inf), AE, "L1L2: `l2` must be a finite number >= 0"),
    (lambda: reg.L1L2(l1="0.1"), TE, "L1L2: `l1` must be a real number"),
    (lambda: reg.l1_l2(l1=True), TE, "`l1` must be a real number"),
    (lambda: reg.get("l3"), AE, "`regularizer` must be one of l1, l2, l1_l2, l1l2; got 'l3'."),
    (lambda: reg.get(0.01), TE, "`regularizer` must be None, a regularizer name"),
    (lambda: reg.get({"class_name": "L3"}), AE, "must be a class name among L1, L2, L1L2"),
    (lambda: reg.get("L3", owner="GRU", name="bias_regularizer"), AE, "GRU: `bias_regularizer`"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
