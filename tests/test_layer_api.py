"""The public layer contract: bad arguments, configs, weights, states, imports."""

import ast
import os
import pathlib

import numpy as np
import pytest

import rnnkit
from rnnkit import initializers
from rnnkit.errors import ArgumentError, ArgumentTypeError, NotBuiltError, RnnkitError, ShapeError
from rnnkit.layers import GRU, LSTM, SimpleRNN
from rnnkit.layers.recurrent import GRU as GRUFromKerasPath

BAD_ARGUMENTS = [
    (LSTM, {"units": 0}, ArgumentError, "`units` must be a positive integer; got 0"),
    (GRU, {"units": -3}, ArgumentError, "`units` must be a positive integer"),
    (SimpleRNN, {"units": 2.5}, ArgumentTypeError, "`units` must be a positive integer"),
    (LSTM, {"units": 4, "dropout": 1.5}, ArgumentError, r"`dropout` must be a float in \[0, 1\)"),
    (GRU, {"units": 4, "recurrent_dropout": -0.1}, ArgumentError, "`recurrent_dropout`"),
    (LSTM, {"units": 4, "activation": "tanhh"}, ArgumentError, "one of linear, tanh"),
    (LSTM, {"units": 4, "recurrent_activation": lambda x: x}, ArgumentTypeError, "cannot run"),
    (GRU, {"units": 4, "kernel_initializer": "glorot"}, ArgumentError, "glorot_uniform"),
    (GRU, {"units": 4, "kernel_regularizer": "l3"}, ArgumentError, "l1"),
    (SimpleRNN, {"units": 4, "bias_constraint": "maxnorm"}, ArgumentError, "max_norm"),
    (LSTM, {"units": 4, "implementation": 3}, ArgumentError, "`implementation` must be one of"),
    (LSTM, {"units": 4, "return_sequences": "yes"}, ArgumentTypeError, "True or False"),
    (GRU, {"units": 4, "reset_after": 1}, ArgumentTypeError, "`reset_after`"),
    (LSTM, {"units": 4, "time_major": True}, ArgumentTypeError, "unrecognized keyword"),
    (SimpleRNN, {"units": 4, "recurrent_activation": "sigmoid"}, ArgumentTypeError, "no gates"),
    (LSTM, {"units": 4, "dtype": "int32"}, ArgumentError, "'float32' or 'float64'"),
    (LSTM, {"units": 4, "seed": -1}, ArgumentError, "`seed`"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "match"), BAD_ARGUMENTS)
def test_bad_arguments(cls, kwargs, error, match):
    with pytest.raises(error, match=match) as info:
        cls(**kwargs)
    assert isinstance(info.value, RnnkitError)


def test_error_types_subclass_builtins():
    assert issubclass(ArgumentError, ValueError)
    assert issubclass(ShapeError, ValueError)
    assert issubclass(ArgumentTypeError, TypeError)
    assert issubclass(NotBuiltError, RuntimeError)


def test_wrong_rank_says_how_to_fix():
    with pytest.raises(ShapeError, match=r"\(batch, time, features\); got \(32, 100\)\. Add a"):
        LSTM(4)(np.zeros((32, 100)))


def test_wrong_feature_size_after_build():
    layer = GRU(4)
    layer(np.zeros((2, 3, 5)))
    with pytest.raises(ShapeError, match="built for 5 input features; got .* with 6"):
        layer(np.zeros((2, 3, 6)))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        ({"inputs": np.full((2, 3, 4), np.nan)}, ArgumentError, "NaN"),
        ({"inputs": np.zeros((2, 0, 4))}, ShapeError, "at least one"),
        ({"inputs": np.array([["a"]])}, ShapeError, "expects input of shape"),
        ({"mask": np.ones((2, 4))}, ShapeError, r"mask must have shape \(batch, time\)"),
        ({"mask": np.full((2, 3), 2)}, ArgumentError, "booleans"),
        ({"initial_state": np.zeros((2, 4))}, ArgumentError, "list of 2 array"),
        ({"initial_state": [np.zeros((2, 5)), np.zeros((2, 4))]}, ShapeError, r"\(2, 4\)"),
    ],
)
def test_bad_call_arguments(call, error, match):
    layer = LSTM(4)
    call = {"inputs": np.zeros((2, 3, 4)), **call}
    with pytest.raises(error, match=match):
        layer(**call)


def test_backward_needs_training_call():
    layer = SimpleRNN(3)
    layer(np.zeros((1, 2, 2)))
    with pytest.raises(NotBuiltError, match="training=True"):
        layer.backward(np.zeros((1, 3)))
    layer(np.zeros((1, 2, 2)), training=True)
    with pytest.raises(ShapeError, match=r"shape \(1, 3\)"):
        layer.backward(np.zeros((1, 4)))


def test_set_weights_checks_shapes():
    layer = LSTM(3)
    with pytest.raises(NotBuiltError):
        layer.set_weights([])
    layer.build((None, 5, 2))
    with pytest.raises(ArgumentError, match="expects 3 arrays"):
        layer.set_weights(layer.get_weights()[:2])
    weights = layer.get_weights()
    weights[1] = np.zeros((3, 3))
    with pytest.raises(ShapeError, match="recurrent_kernel"):
        layer.set_weights(weights)


def test_weight_shapes_and_names():
    cases = [
        (SimpleRNN(4), [(3, 4), (4, 4), (4,)]),
        (LSTM(4), [(3, 16), (4, 16), (16,)]),
        (GRU(4), [(3, 12), (4, 12), (12,)]),
        (GRU(4, reset_after=True), [(3, 12), (4, 12), (2, 12)]),
        (LSTM(4, use_bias=False), [(3, 16), (4, 16)]),
    ]
    for layer, shapes in cases:
        layer.build((None, 2, 3))
        assert [w.shape for w in layer.get_weights()] == shapes
        assert layer.weight_names[:2] == ["kernel", "recurrent_kernel"]
        assert layer.weights[0].dtype == np.float32


def test_unit_forget_bias_is_exactly_one():
    layer = LSTM(3, bias_initializer=initializers.Constant(0.03))
    layer.build((None, 2, 2))
    expected = np.array([0.03] * 3 + [1.0] * 3 + [0.03] * 6, np.float32)
    np.testing.assert_array_equal(layer.get_weights()[2], expected)
    layer = LSTM(3, bias_initializer="ones", unit_forget_bias=False)
    layer.build((None, 2, 2))
    np.testing.assert_array_equal(layer.get_weights()[2], np.ones(12, np.float32))


def test_keras2_defaults():
    lstm, gru, rnn = LSTM(2), GRU(2), SimpleRNN(2)
    assert lstm.recurrent_activation.name == "hard_sigmoid"
    assert gru.recurrent_activation.name == "hard_sigmoid"
    assert gru.reset_after is False
    assert lstm.unit_forget_bias is True
    assert rnn.activation.name == "tanh"
    assert lstm.implementation == gru.implementation == 1
    assert LSTM(2, implementation=0).implementation == 2  # old configs: fused path
    assert GRUFromKerasPath is GRU


@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_config_round_trip(cls):
    kwargs = {
        "units": 3,
        "dropout": 0.1,
        "return_sequences": True,
        "go_backwards": True,
        "kernel_regularizer": "l2",
        "bias_constraint": "non_neg",
        "seed": 7,
        "kernel_initializer": initializers.RandomNormal(stddev=0.2, seed=3),
    }
    if cls is not SimpleRNN:
        kwargs["recurrent_activation"] = "sigmoid"
    layer = cls(**kwargs)
    clone = cls.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = np.random.default_rng(0).normal(size=(2, 4, 5))
    layer.build(x.shape)
    clone.build(x.shape)
    np.testing.assert_array_equal(layer.get_weights()[0], clone.get_weights()[0])


def test_unroll_gives_same_results():
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    a, b = LSTM(4, unroll=False), LSTM(4, unroll=True)
    b.build(x.shape)
    a.build(x.shape)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x), b(x))


def test_float64_layers_compute_in_float64():
    layer = GRU(3, dtype="float64")
    out = layer(np.ones((1, 2, 2), np.float32))
    assert out.dtype == np.float64


def test_seeded_dropout_is_repeatable_and_inactive_at_inference():
    x = np.random.default_rng(2).normal(size=(4, 6, 3))
    a, b = LSTM(5, dropout=0.5, recurrent_dropout=0.5, seed=11), None
    a.build(x.shape)
    b = LSTM(5, dropout=0.5, recurrent_dropout=0.5, seed=11)
    b.build(x.shape)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x, training=True), b(x, training=True))
    assert not np.allclose(a(x, training=True), a(x, training=False))
    np.testing.assert_array_equal(a(x), b(x))


def test_dropout_masks_shape_scale_and_per_gate():
    layer = LSTM(50, dropout=0.25, recurrent_dropout=0.5, seed=0)
    inp, rec = layer._dropout_masks(200, 30)
    assert inp.shape == (4, 200, 30) and rec.shape == (4, 200, 50)
    assert set(np.unique(inp)) == {0.0, np.float32(1 / 0.75)}
    assert abs((inp == 0).mean() - 0.25) < 0.01 and abs((rec == 0).mean() - 0.5) < 0.01
    assert not np.array_equal(inp[0], inp[1])  # one mask per gate
    shared, _ = LSTM(5, dropout=0.25, implementation=2)._dropout_masks(3, 4)
    assert shared.shape == (1, 3, 4)


def test_constraints_applied_by_method():
    layer = SimpleRNN(3, kernel_constraint="non_neg", recurrent_constraint="unit_norm")
    layer.build((None, 2, 4))
    layer.apply_constraints()
    assert (layer.weights[0] >= 0).all()
    np.testing.assert_allclose(np.linalg.norm(layer.weights[1], axis=0), 1.0, rtol=1e-5)


def test_stateful_batch_size_is_fixed():
    layer = GRU(3, stateful=True)
    layer(np.ones((2, 3, 4)))
    with pytest.raises(ShapeError, match="batch size 2; got a batch of 3"):
        layer(np.ones((3, 3, 4)))
    with pytest.raises(NotBuiltError, match="stateful=True"):
        GRU(3).reset_states()


PACKAGE = pathlib.Path(rnnkit.__file__).parent
# Imports point one way: a module may import only modules at or below its own level
# (the package layout in the README, top to bottom).
LEVELS = {
    "rnnkit.cli": 6,
    "rnnkit.__main__": 7,
    "rnnkit.recipes": 5,
    "rnnkit.saving": 5,
    "rnnkit.models": 4,
    "rnnkit.callbacks": 4,
    "rnnkit.datasets": 4,
    "rnnkit.layers": 3,
    "rnnkit.kernels": 2,
    "rnnkit.optimizers": 1,
    "rnnkit.losses": 1,
    "rnnkit.metrics": 1,
    "rnnkit.initializers": 1,
    "rnnkit.regularizers": 1,
    "rnnkit.constraints": 1,
    "rnnkit.activations": 1,
    "rnnkit.data": 1,
    "rnnkit.preprocessing": 1,
    "rnnkit.utils": 1,
    "rnnkit.validation": 0.5,
    "rnnkit.registry": 0.5,
    "rnnkit.errors": 0,
}
# Keras spells saving as model methods (model.save); those call up into saving lazily.
ALLOWED_UPWARD = {("rnnkit.models", "rnnkit.saving")}


def level(module):
    for prefix, value in LEVELS.items():
        if module == prefix or module.startswith(prefix + "."):
            return value
    return None


def test_imports_point_down():
    for path in PACKAGE.rglob("*.py"):
        module = "rnnkit." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        module = module.removesuffix(".__init__")
        own = level(module)
        if module == "rnnkit":
            continue
        assert own is not None, f"{module} has no place in LEVELS: add it there"
        for node in ast.walk(ast.parse(path.read_text())):
            targets = []
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            for target in targets:
                other = level(target)
                if (module, target) in ALLOWED_UPWARD:
                    continue
                assert other is None or other <= own, f"{module} imports {target} (upward)"
            for target in targets:
                assert target.split(".")[0] not in {"torch", "keras", "tensorflow", "jax"}, (
                    f"{module} imports {target}"
                )


@pytest.mark.parametrize("recurrent_dropout", [0.0, 0.4])
@pytest.mark.parametrize("cls", [SimpleRNN, LSTM, GRU])
def test_backward_without_input_gradient(cls, recurrent_dropout):
    """input_gradient=False skips d_x and leaves the weight gradients exactly as they
    are with it (with both dropouts per gate, LSTM and GRU make the recurrent kernel's
    gradient in the same pass as the kernel's)."""
    x = np.random.default_rng(3).normal(size=(3, 4, 2))
    options = {"dropout": 0.3, "recurrent_dropout": recurrent_dropout, "seed": 1}
    layer = cls(5, **options)
    out = layer(x, training=True)
    d_x = layer.backward(np.ones_like(out))
    full = [g.copy() for g in layer.get_gradients()]
    assert d_x.shape == x.shape and np.abs(d_x).sum() > 0
    with pytest.raises(NotBuiltError, match="once per call"):
        layer.backward(np.ones_like(out))  # the call's saved activations are used up
    twin = cls(5, **options)  # same dropout masks
    twin.build(x.shape)
    twin.set_weights(layer.get_weights())
    twin(x, training=True)
    assert twin.backward(np.ones_like(out), input_gradient=False) is None
    for a, b in zip(full, twin.get_gradients(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_default_names_follow_keras():
    from rnnkit.layers import Conv1D, GlobalMaxPooling1D, SpatialDropout1D

    for cls, args, expected in [
        (SimpleRNN, (2,), "simple_rnn"),
        (LSTM, (2,), "lstm"),
        (GRU, (2,), "gru"),
        (SpatialDropout1D, (0.1,), "spatial_dropout1d"),
        (GlobalMaxPooling1D, (), "global_max_pooling1d"),
        (Conv1D, (2, 3), "conv1d"),
    ]:
        name = cls(*args).name
        assert name == expected or name.startswith(expected + "_"), name


def test_all_finite_sees_every_kind_of_bad_value():
    from rnnkit.validation import all_finite

    x = np.ones((4, 5), np.float32)
    assert all_finite(x)
    big = np.full((4, 5), 3e38, np.float32)  # finite values whose sum overflows
    assert all_finite(big)
    for bad in (np.nan, np.inf, -np.inf):
        y = x.copy()
        y[2, 3] = bad
        assert not all_finite(y)
    mixed = big.copy()
    mixed[0, 0] = -np.inf
    assert not all_finite(mixed)


def test_allocator_tuning_runs_once_and_can_be_turned_off():
    import subprocess
    import sys

    from rnnkit.kernels import allocator

    code = "import rnnkit.kernels as k; print(k.ALLOCATOR_TUNED)"
    env = dict(os.environ, RNNKIT_MALLOC_TUNING="0")
    off = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert off.stdout.strip() == "False"
    if sys.platform.startswith("linux"):
        assert allocator.ALLOCATOR_TUNED  # glibc took the settings


def test_shared_kernels_compile_one_version_per_dtype():
    """gemm and the masked products carry one generic signature per dtype.

    Compiled lazily and called from kernels with constant flags, gemm got a version
    per literal flag value and array layout (ten per dtype, about 5 s of compile time):
    docs/benchmarks.md, "Compilation". Read-only inputs must still reach them.
    """
    from numba.core import types

    from rnnkit.kernels import blas, dropout

    for dtype in (np.float32, np.float64):
        x = np.random.default_rng(0).normal(size=(4, 6, 5)).astype(dtype)
        x.flags.writeable = False
        for layer in (
            LSTM(3, dropout=0.2, recurrent_dropout=0.2, dtype=dtype),
            GRU(3, dropout=0.2, recurrent_dropout=0.2, reset_after=True, dtype=dtype),
        ):
            out = layer(x, training=True)
            assert np.isfinite(layer.backward(np.ones_like(out))).all()
    masked = {
        (name, str(dtype)): kernel.signatures for (name, dtype), kernel in dropout._COMPILED.items()
    }
    assert sorted(masked) == [
        ("_masked_gradients", "float32"),
        ("_masked_gradients", "float64"),
        ("_masked_product", "float32"),
        ("_masked_product", "float64"),
    ]
    # signatures -> positions of the arrays that only reach BLAS (any layout)
    for signatures, blas_only in (
        (blas.gemm.signatures, (1, 2)),
        (masked[("_masked_product", "float32")] + masked[("_masked_product", "float64")], (1, 3)),
        (
            masked[("_masked_gradients", "float32")] + masked[("_masked_gradients", "float64")],
            (2, 5, 6, 7),
        ),
    ):
        assert sorted(str(sig[0].dtype) for sig in signatures) == ["float32", "float64"]
        for sig in signatures:
            assert not any(isinstance(arg, types.Literal) for arg in sig)
            assert all(sig[i].layout == "A" for i in blas_only)


def test_float32_work_compiles_no_float64_masked_product():
    """The masked products are compiled per dtype on first use: a float32 process never
    compiles (or loads) their float64 versions (about 2 s of a first run's compile)."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from rnnkit.kernels import dropout\n"
        "from rnnkit.layers import LSTM\n"
        "layer = LSTM(3, dropout=0.2, recurrent_dropout=0.2)\n"
        "out = layer(np.ones((4, 6, 5), np.float32), training=True)\n"
        "layer.backward(np.ones_like(out))\n"
        "print(sorted(str(dtype) for _, dtype in dropout._COMPILED))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['float32', 'float32']"


def test_both_blas_bindings_give_the_same_products():
    """RNNKIT_BLAS=scipy binds the kernels' gemm to SciPy's BLAS instead of NumPy's."""
    import subprocess
    import sys

    from rnnkit.kernels import blas

    code = """
import numpy as np
from rnnkit.kernels import blas
rng = np.random.default_rng(0)
errors = []
for dtype, tol in ((np.float32, 1e-5), (np.float64, 1e-12)):
    a = rng.normal(size=(7, 5)).astype(dtype)
    b = rng.normal(size=(7, 3)).astype(dtype)
    c = rng.normal(size=(5, 3)).astype(dtype)
    expected = a.T @ b + 0.5 * c
    blas.gemm(a, b, c, True, False, 0.5)  # c = a.T @ b + 0.5 c
    errors.append(float(abs(c - expected).max()) < tol)
print(blas.BLAS, all(errors))
"""
    for choice in ("scipy", "numpy"):
        env = dict(os.environ, RNNKIT_BLAS=choice)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        name, ok = out.stdout.split()
        assert ok == "True"
        if choice == "scipy":
            assert name == "scipy"
    assert blas.BLAS in ("numpy", "scipy")


def test_states_set_before_the_first_call_are_kept():
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    layer = LSTM(3, stateful=True, dtype="float64")
    start = [np.ones((2, 3)), np.full((2, 3), 0.5)]
    layer.reset_states(start)
    got = layer(x)
    reference = LSTM(3, dtype="float64")
    reference.build(x.shape)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(got, reference(x, initial_state=start), rtol=1e-12)


def test_stateful_batch_size_changes_only_through_reset_states():
    x = np.random.default_rng(1).normal(size=(2, 3, 4))
    layer = GRU(3, stateful=True)
    layer(x)
    with pytest.raises(ShapeError, match=r"batch size 2; got a batch of 1.*reset_states"):
        layer(x[:1])
    with pytest.raises(ShapeError, match="batch size 2; got a batch of 1"):
        layer(x[:1], initial_state=np.zeros((1, 3)))  # initial_state does not re-batch it
    layer.reset_states(np.zeros((1, 3)))  # what the message advises
    assert layer(x[:1]).shape == (1, 3)
    assert layer.states[0].shape == (1, 3)
    lstm = LSTM(3, stateful=True)
    lstm(x)
    with pytest.raises(ShapeError, match=r"state 'c'.*\(2, 3\); got \(5, 3\)"):
        lstm.reset_states([np.zeros((2, 3)), np.zeros((5, 3))])


def test_set_weights_changes_nothing_when_it_refuses():
    layer = LSTM(3)
    layer.build((2, 3, 4))
    before = [w.copy() for w in layer.get_weights()]
    new = [np.ones_like(w) for w in before]
    for bad in (np.ones((9, 9)), np.array(["a"] * 12)):  # wrong shape, not numbers
        with pytest.raises((ShapeError, ArgumentTypeError)):
            layer.set_weights([new[0], new[1], bad])
        for a, b in zip(before, layer.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)


def test_load_and_seed_errors_are_rnnkit_errors(tmp_path):
    # docs/layers.md: every error subclasses RnnkitError and the matching built-in.
    from rnnkit.utils import set_random_seed

    with pytest.raises(RnnkitError) as missing:
        rnnkit.load_model(tmp_path / "missing.rnnkit")
    assert isinstance(missing.value, FileNotFoundError)
    with pytest.raises(ArgumentTypeError):
        set_random_seed(None)
