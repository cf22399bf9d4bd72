import re

import numpy as np
import pytest

from rnnkit import constraints as con
from rnnkit.errors import ArgumentError, ArgumentTypeError

EPS = 1e-7
# Columns of norm 5, 0.5 and 1 (3-4-5 triangles).
W = np.array([[3.0, 0.3, 0.6], [4.0, 0.4, 0.8]])


def column_norms(w):
    return np.sqrt((w**2).sum(axis=0))


def test_max_norm_columns():
    out = con.MaxNorm(2.0)(W)
    expected = W * np.array([2 / (5 + EPS), 0.5 / (0.5 + EPS), 1 / (1 + EPS)])
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    np.testing.assert_allclose(
        column_norms(out), [10 / (5 + EPS), 0.5 / (1 + 2 * EPS), 1 / (1 + EPS)]
    )
    assert column_norms(out)[0] < 2.0  # eps makes the projection land a hair inside


def test_max_norm_rows_whole_matrix_and_rank_3():
    out = con.MaxNorm(1.0, axis=1)(W.T)  # same columns, now rows
    np.testing.assert_allclose(out, con.MaxNorm(1.0)(W).T, rtol=1e-15)
    np.testing.assert_allclose(con.MaxNorm(1.0, axis=-1)(W.T), out, rtol=1e-15)
    total = np.sqrt((W**2).sum())  # sqrt(26.5)
    np.testing.assert_allclose(con.MaxNorm(1.0, axis=(0, 1))(W), W / (total + EPS), rtol=1e-15)
    kernel = np.arange(1.0, 25.0).reshape(2, 3, 4)  # conv-like: one norm per last-axis slice
    out = con.MaxNorm(1.0, axis=(0, 1))(kernel)
    slice_norms = np.sqrt((out**2).sum(axis=(0, 1)))
    np.testing.assert_allclose(slice_norms, 1.0, rtol=1e-6)


def test_unit_norm():
    out = con.UnitNorm()(W)
    np.testing.assert_allclose(out, W / (np.array([5.0, 0.5, 1.0]) + EPS), rtol=1e-15)
    np.testing.assert_allclose(column_norms(con.UnitNorm(axis=0)(W)), 1.0, rtol=1e-6)
    row_norms = np.sqrt((con.UnitNorm(axis=1)(W) ** 2).sum(axis=1))
    np.testing.assert_allclose(row_norms, 1.0, rtol=1e-6)


def test_min_max_norm_with_rate():
    out = con.MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(W)
    # desired = 0.5 * clip(norm, 1, 2) + 0.5 * norm for norms 5, 0.5, 1
    desired = np.array([0.5 * 2 + 2.5, 0.5 * 1 + 0.25, 1.0])
    norms = np.array([5.0, 0.5, 1.0])
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-15)
    np.testing.assert_allclose(column_norms(out), desired, rtol=1e-6)
    full = con.MinMaxNorm(1.0, 2.0)(W)  # rate 1: a full projection into [1, 2]
    np.testing.assert_allclose(column_norms(full), [2.0, 1.0, 1.0], rtol=1e-6)


def test_non_neg():
    w = np.array([[-1.5, 0.0], [2.0, -0.0]], dtype=np.float32)
    out = con.NonNeg()(w)
    np.testing.assert_array_equal(out, [[0.0, 0.0], [2.0, 0.0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "constraint",
    [con.MaxNorm(1.0), con.UnitNorm(), con.MinMaxNorm(0.5, 1.5, 0.3), con.NonNeg()],
)
def test_new_array_same_dtype_and_zero_columns_stay_finite(constraint):
    w = np.array([[0.0, 3.0], [0.0, -4.0]], dtype=np.float32)
    before = w.copy()
    out = constraint(w)
    assert out.dtype == np.float32 and out.shape == w.shape and out is not w
    np.testing.assert_array_equal(w, before)
    assert np.all(np.isfinite(out)) and np.all(out[:, 0] == 0)


def test_get_aliases_and_round_trip():
    assert con.get(None) is None and con.serialize(None) is None
    assert con.max_norm is con.MaxNorm and con.min_max_norm is con.MinMaxNorm
    for name, cls in [
        ("max_norm", con.MaxNorm),
        ("non_neg", con.NonNeg),
        ("UnitNorm", con.UnitNorm),
    ]:
        assert type(con.get(name)) is cls
    assert con.get("unit_norm") is not con.get("unit_norm")
    instance = con.MaxNorm(3.0)
    assert con.get(instance) is instance and type(con.get(con.NonNeg)) is con.NonNeg
    for constraint in (con.MaxNorm(3.0, axis=1), con.NonNeg(), con.MinMaxNorm(0.1, 0.9, 0.5, -1)):
        rebuilt = con.get(con.serialize(constraint))
        assert type(rebuilt) is type(constraint)
        assert rebuilt.get_config() == constraint.get_config()
        np.testing.assert_array_equal(rebuilt(W), constraint(W))
    assert con.MaxNorm().get_config() == {"max_value": 2.0, "axis": 0}
    assert repr(con.UnitNorm(axis=(0, 1))) == "UnitNorm(axis=(0, 1))"


AE, TE = ArgumentError, ArgumentTypeError
BAD = [
    (lambda: con.MaxNorm(-1.0), AE, "MaxNorm: `max_value` must be a number >= 0.0; got -1.0."),
    (lambda: con.MaxNorm("2"), TE, "MaxNorm: `max_value` must be a real number"),
    (lambda: con.MinMaxNorm(2.0, 1.0), AE, "MinMaxNorm: `max_value` must be a number >= 2.0"),
    (lambda: con.MinMaxNorm(-0.5), AE, "MinMaxNorm: `min_value` must be a number >= 0.0"),
    (lambda: con.MinMaxNorm(rate=1.5), AE, "MinMaxNorm: `rate` must be a number in [0.0, 1.0]"),
    (lambda: con.UnitNorm(axis=1.5), TE, "UnitNorm: `axis` must be an integer or a non-empty"),
    (lambda: con.UnitNorm(axis=True), TE, "UnitNorm: `axis`"),
    (lambda: con.MaxNorm(axis=()), TE, "MaxNorm: `axis`"),
    (lambda: con.get("maxnorm"), AE, "must be one of max_norm, non_neg, unit_norm, min_max_norm"),
    (lambda: con.get(5), TE, "`constraint` must be None, a constraint name"),
    (lambda: con.get({"class_name": "Clip"}), AE, "a class name among MaxNorm, NonNeg"),
    (lambda: con.get("x", owner="LSTM", name="kernel_constraint"), AE, "LSTM: `kernel_constraint`"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_base_class_is_abstract():
    with pytest.raises(NotImplementedError):
        con.Constraint()(W)
