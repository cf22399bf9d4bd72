import math
import random
import re

import numpy as np
import pytest

from rnnkit import initializers as ini
from rnnkit.errors import ArgumentError, ArgumentTypeError

TRUNC = 0.87962566103423978  # stddev of a unit normal truncated to [-2, 2]
RANDOM_CLASSES = [
    ini.RandomNormal,
    ini.RandomUniform,
    ini.TruncatedNormal,
    ini.VarianceScaling,
    ini.GlorotUniform,
    ini.GlorotNormal,
    ini.HeNormal,
    ini.HeUniform,
    ini.LecunNormal,
    ini.LecunUniform,
    ini.Orthogonal,
]


def keras_rng(seed):
    """The stream the Keras 3 NumPy backend uses for an integer seed."""
    return np.random.default_rng([seed, 0])


@pytest.fixture
def python_random_state():
    state = random.getstate()
    yield
    random.setstate(state)


# --- fans -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "fans"),
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((3, 5), (3, 5)),
        ((4, 3, 5), (12, 20)),
        ((2, 3, 4, 5), (24, 30)),
    ],
)
def test_compute_fans(shape, fans):
    assert ini.compute_fans(shape) == fans


# --- exact seeded streams ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7, 123456789])
def test_seeded_values_match_keras_numpy_backend_formulas(seed):
    limit = math.sqrt(6 / (5 + 8))
    expected = keras_rng(seed).uniform(-limit, limit, size=(5, 8)).astype(np.float32)
    np.testing.assert_array_equal(ini.GlorotUniform(seed=seed)((5, 8)), expected)

    expected = keras_rng(seed).uniform(-1.0, 3.0, size=(4, 6)).astype(np.float32)
    np.testing.assert_array_equal(ini.RandomUniform(-1.0, 3.0, seed=seed)((4, 6)), expected)

    expected = keras_rng(seed).normal(0.3, 2.0, size=(4, 6))
    np.testing.assert_array_equal(
        ini.RandomNormal(0.3, 2.0, seed=seed)((4, 6), "float64"), expected
    )

    # he_uniform on a rank-3 shape: fan_in = 3 * 4.
    limit = math.sqrt(6 / 12)
    expected = keras_rng(seed).uniform(-limit, limit, size=(3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(ini.HeUniform(seed=seed)((3, 4, 2)), expected)

    stddev = math.sqrt(3.0 / 8)  # untruncated_normal, fan_out = 8
    init = ini.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=seed)
    expected = keras_rng(seed).normal(0.0, stddev, size=(6, 8)).astype(np.float32)
    np.testing.assert_array_equal(init((6, 8)), expected)


def test_truncated_normal_resamples_in_order():
    # Independent reading of the rule: keep the in-bound draws of successive batches.
    mean, stddev, shape = 1.0, 0.5, (3, 7)
    rng, kept = keras_rng(11), []
    while len(kept) < 21:
        batch = rng.normal(mean, stddev, size=21)
        kept += [v for v in batch if mean - 2 * stddev <= v <= mean + 2 * stddev]
    expected = np.array(kept[:21]).reshape(shape)
    got = ini.TruncatedNormal(mean, stddev, seed=11)(shape, "float64")
    np.testing.assert_array_equal(got, expected)


# Printed by Keras 3.15.1 with KERAS_BACKEND=numpy, e.g.
# keras.initializers.TruncatedNormal(seed=3)((2, 3)).
KERAS_GOLDEN = {
    "TruncatedNormal(seed=3)((2, 3))": (
        ini.TruncatedNormal(seed=3),
        (2, 3),
        [
            ["0.020904941", "-0.02838848", "-0.022632465"],
            ["-0.010779859", "-0.011596619", "-0.043260653"],
        ],
    ),
    "HeNormal(seed=7)((3, 2))": (
        ini.HeNormal(seed=7),
        (3, 2),
        [
            ["0.0011418676", "0.27730513"],
            ["-0.2544635", "-0.8266757"],
            ["-0.42203993", "-0.9204779"],
        ],
    ),
    "GlorotUniform(seed=42)((2, 3))": (
        ini.GlorotUniform(seed=42),
        (2, 3),
        [["0.6002076", "-0.13391063", "0.7856487"], ["0.4324117", "-0.8891129", "1.0420364"]],
    ),
    "Orthogonal(seed=3)((2, 3))": (
        ini.Orthogonal(seed=3),
        (2, 3),
        [["0.95731866", "0.1961145", "-0.21232082"], ["-0.19634442", "-0.09782607", "-0.9756428"]],
    ),
}


@pytest.mark.parametrize("case", list(KERAS_GOLDEN))
def test_keras_golden_values(case):
    init, shape, expected = KERAS_GOLDEN[case]
    expected = np.array(expected, dtype=np.float32)
    if isinstance(init, ini.Orthogonal):  # LAPACK may differ in the last bits
        np.testing.assert_allclose(init(shape), expected, rtol=0, atol=2e-6)
    else:
        np.testing.assert_array_equal(init(shape), expected)


# --- distributions ----------------------------------------------------------------------

SHAPE = (400, 500)  # 200k draws: the sample stddev is within ~0.2% of the truth
FAN_IN, FAN_OUT = SHAPE
FAN_AVG = (FAN_IN + FAN_OUT) / 2


@pytest.mark.parametrize(
    ("init", "limit"),
    [
        (ini.GlorotUniform(seed=1), math.sqrt(6 / (FAN_IN + FAN_OUT))),
        (ini.HeUniform(seed=1), math.sqrt(6 / FAN_IN)),
        (ini.LecunUniform(seed=1), math.sqrt(3 / FAN_IN)),
        (ini.VarianceScaling(2.0, "fan_out", "uniform", seed=1), math.sqrt(6 / FAN_OUT)),
        (ini.RandomUniform(seed=1), 0.05),
    ],
)
def test_uniform_distributions(init, limit):
    w = init(SHAPE, "float64")
    assert np.abs(w).max() <= limit
    assert w.max() > 0.999 * limit and w.min() < -0.999 * limit
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize(
    ("init", "variance"),
    [
        (ini.GlorotNormal(seed=2), 2 / (FAN_IN + FAN_OUT)),
        (ini.HeNormal(seed=2), 2 / FAN_IN),
        (ini.LecunNormal(seed=2), 1 / FAN_IN),
        (ini.VarianceScaling(3.0, "fan_avg", "normal", seed=2), 3 / FAN_AVG),
        (ini.VarianceScaling(0.5, "fan_out", seed=2), 0.5 / FAN_OUT),
    ],
)
def test_truncated_variance_scaling_has_the_target_variance(init, variance):
    w = init(SHAPE, "float64")
    untruncated_stddev = math.sqrt(variance) / TRUNC
    assert np.abs(w).max() <= 2 * untruncated_stddev
    assert np.abs(w).max() > 1.99 * untruncated_stddev
    assert w.std() == pytest.approx(math.sqrt(variance), rel=0.01)


def test_truncated_normal_has_no_correction_factor():
    w = ini.TruncatedNormal(mean=1.0, stddev=0.5, seed=3)(SHAPE, "float64")
    assert w.min() >= 0.0 and w.max() <= 2.0
    assert w.mean() == pytest.approx(1.0, abs=0.005)
    assert w.std() == pytest.approx(0.5 * TRUNC, rel=0.01)


@pytest.mark.parametrize(
    ("init", "stddev"),
    [
        (ini.RandomNormal(mean=-2.0, stddev=0.3, seed=4), 0.3),
        (ini.VarianceScaling(1.0, "fan_in", "untruncated_normal", seed=4), math.sqrt(1 / FAN_IN)),
    ],
)
def test_untruncated_normals(init, stddev):
    w = init(SHAPE, "float64")
    mean = getattr(init, "mean", 0.0)
    assert w.std() == pytest.approx(stddev, rel=0.01)
    assert w.mean() == pytest.approx(mean, abs=0.01 * stddev)
    assert np.abs(w - mean).max() > 3 * stddev  # not truncated


# --- orthogonal and identity ------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n", [1, 3, 8])
def test_orthogonal_wide_has_orthonormal_rows(n, dtype):
    q = ini.Orthogonal(seed=n)((n, 4 * n), dtype)  # an LSTM recurrent kernel
    atol = 1e-5 if dtype == "float32" else 1e-12
    assert q.dtype == dtype
    np.testing.assert_allclose(q @ q.T, np.eye(n), atol=atol)


@pytest.mark.parametrize("shape", [(12, 3), (3, 4, 2), (6, 6)])
def test_orthogonal_tall_has_orthonormal_columns(shape):
    q = ini.Orthogonal(seed=5)(shape, "float64").reshape(-1, shape[-1])
    np.testing.assert_allclose(q.T @ q, np.eye(shape[-1]), atol=1e-12)


@pytest.mark.parametrize(("shape", "seed"), [((3, 12), 0), ((12, 3), 1), ((5, 5), 2)])
def test_orthogonal_sign_fix_makes_r_diagonal_positive(shape, seed):
    # The result must be the unique Q with a = Q R, R upper triangular with R_ii > 0,
    # for the normal matrix a drawn from the seed's stream.
    rows, cols = shape
    a = keras_rng(seed).normal(size=(max(rows, cols), min(rows, cols)))
    q = ini.Orthogonal(seed=seed)(shape, "float64")
    q = q.T if rows < cols else q
    r = q.T @ a
    np.testing.assert_allclose(np.tril(r, -1), 0.0, atol=1e-12)
    assert np.all(np.diag(r) > 0)


def test_orthogonal_gain_and_identity():
    np.testing.assert_allclose(
        ini.Orthogonal(gain=2.5, seed=9)((4, 6)), 2.5 * ini.Orthogonal(seed=9)((4, 6)), rtol=1e-6
    )
    np.testing.assert_array_equal(ini.Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    assert ini.Identity()((4, 4), "float64").dtype == np.float64


def test_constant_initializers():
    np.testing.assert_array_equal(ini.Zeros()((2, 3)), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(ini.Ones()((3,), "float64"), np.ones(3))
    w = ini.Constant(0.25)((2, 2))
    assert w.dtype == np.float32 and np.all(w == np.float32(0.25))


# --- seeding semantics ------------------------------------------------------------------


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_same_instance_gives_same_values_and_instances_differ(cls):
    first = cls()
    np.testing.assert_array_equal(first((6, 5)), first((6, 5)))
    assert not np.array_equal(first((6, 5)), cls()((6, 5)))


def test_python_random_seed_makes_unseeded_repeatable(python_random_state):
    random.seed(1234)
    a = ini.GlorotUniform()((3, 4))
    random.seed(1234)
    b = ini.get("glorot_uniform")((3, 4))
    np.testing.assert_array_equal(a, b)
    seed = random.Random(1234).randint(1, int(1e9))  # what Keras 3 draws
    np.testing.assert_array_equal(a, ini.GlorotUniform(seed=seed)((3, 4)))


def test_unseeded_config_keeps_seed_none():
    assert ini.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}


# --- registry ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ini.names())
def test_every_name_resolves_and_round_trips(name):
    first, second = ini.get(name), ini.get(name)
    assert isinstance(first, ini.Initializer) and first is not second
    assert ini.get(type(first).__name__).get_config() == first.get_config()
    config = ini.serialize(first)
    rebuilt = ini.get(config)
    assert type(rebuilt) is type(first) and rebuilt.get_config() == first.get_config()


def test_seeded_round_trip_gives_same_values():
    init = ini.VarianceScaling(2.0, "fan_avg", "normal", seed=17)
    assert init.get_config() == {
        "scale": 2.0,
        "mode": "fan_avg",
        "distribution": "truncated_normal",
        "seed": 17,
        "input_axes": None,  # Keras 3.15's keys
        "output_axes": None,
    }
    rebuilt = ini.VarianceScaling.from_config(init.get_config())
    np.testing.assert_array_equal(rebuilt((5, 7)), init((5, 7)))
    assert ini.get(ini.serialize(ini.GlorotUniform(seed=3))).get_config() == {
        "seed": 3,
        "input_axes": None,
        "output_axes": None,
    }


def test_aliases_and_passthrough():
    assert ini.glorot_uniform is ini.GlorotUniform and ini.normal is ini.RandomNormal
    assert type(ini.get("uniform")) is ini.RandomUniform
    init = ini.Orthogonal(seed=1)
    assert ini.get(init) is init
    assert type(ini.get(ini.HeNormal)) is ini.HeNormal
    assert repr(ini.Constant(2.0)) == "Constant(value=2.0)"


# --- bad arguments ----------------------------------------------------------------------

AE, TE = ArgumentError, ArgumentTypeError
BAD = [
    (lambda: ini.RandomNormal(stddev=-1.0), AE, "RandomNormal: `stddev` must be a number >= 0"),
    (lambda: ini.TruncatedNormal(mean="0"), TE, "TruncatedNormal: `mean` must be a real"),
    (lambda: ini.RandomUniform(1.0, -1.0), AE, "RandomUniform: `maxval` must be a number >= 1"),
    (lambda: ini.VarianceScaling(scale=0.0), AE, "`scale` must be a number > 0"),
    (lambda: ini.VarianceScaling(mode="fan_mid"), AE, "`mode` must be one of 'fan_in'"),
    (lambda: ini.VarianceScaling(distribution="gamma"), AE, "`distribution` must be one of"),
    (lambda: ini.GlorotUniform(seed=-1), AE, "GlorotUniform: `seed` must be None or"),
    (lambda: ini.HeNormal(seed=1.5), AE, "HeNormal: `seed`"),
    (lambda: ini.Constant("a"), TE, "Constant: `value` must be a real number"),
    (lambda: ini.Orthogonal(gain=None), TE, "Orthogonal: `gain`"),
    (lambda: ini.Zeros()((2, -1)), AE, "Zeros: `shape` must be a tuple of non-negative"),
    (lambda: ini.Zeros()(5), TE, "Zeros: `shape`"),
    (lambda: ini.Ones()((2,), "int32"), AE, "Ones: `dtype` must be a floating-point dtype"),
    (lambda: ini.Ones()((2,), "nonsense"), TE, "Ones: `dtype`"),
    (lambda: ini.Orthogonal()((4,)), AE, "Orthogonal: `shape` must be a shape of rank >= 2"),
    (lambda: ini.Identity()((2, 2, 2)), AE, "Identity: `shape` must be a 2-D shape"),
    (lambda: ini.get("glorot"), AE, "`initializer` must be one of zeros, ones, constant"),
    (lambda: ini.get(None), TE, "`initializer` must be an initializer name"),
    (lambda: ini.get(0.1), TE, "got 0.1"),
    (lambda: ini.get({"class_name": "Nope"}), AE, "a class name among Zeros, Ones"),
    (lambda: ini.get("x", owner="LSTM", name="kernel_init"), AE, "LSTM: `kernel_init` must be"),
]


@pytest.mark.parametrize(("call", "error", "message"), BAD)
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_errors_are_builtin_subclasses():
    with pytest.raises(ValueError):
        ini.VarianceScaling(mode="bad")
    with pytest.raises(TypeError):
        ini.get(3)
