"""Weight initializers with Keras names, defaults and (NumPy-backend) random streams.

An initializer is an object called as ``init(shape, dtype="float32")`` that returns a new
array. Random initializers follow the Keras 3 NumPy backend exactly: an integer seed ``s``
draws from ``np.random.default_rng([s, 0])`` in float64 and casts to ``dtype``, so
``GlorotUniform(seed=s)`` gives the same numbers as Keras 3 with ``KERAS_BACKEND=numpy``.
Without a seed, one is picked at construction with ``random.randint(1, 10**9)``: calling
the same instance twice gives the same values, ``random.seed(...)`` makes runs
repeatable, and every ``get("name")`` makes a new instance with a new seed.

Fans of a shape (see :func:`compute_fans`): rank 1 ``(n,)`` has ``fan_in = fan_out = n``;
rank 2 ``(in, out)`` has ``fan_in = in``, ``fan_out = out``; rank >= 3 multiplies both by
the receptive field ``prod(shape[:-2])``.

>>> import numpy as np
>>> w = GlorotUniform(seed=1)((3, 5))
>>> w.dtype, bool(np.abs(w).max() <= np.sqrt(6 / (3 + 5)))
(dtype('float32'), True)
>>> q = get("orthogonal")((2, 6), "float64")
>>> np.allclose(q @ q.T, np.eye(2))
True
>>> serialize(get("he_normal"))["class_name"]
'HeNormal'
"""

from __future__ import annotations

import inspect
import math
import numbers
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from rnnkit import registry
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError, argument_message
from rnnkit.validation import check_choice, check_real, check_seed

# Standard deviation of a unit normal truncated to [-2, 2]; dividing by it gives the
# truncated samples the variance the scaling rule asks for (Keras, all versions).
_TRUNCATION_STDDEV = 0.87962566103423978


def compute_fans(
    shape: tuple[int, ...],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    Args:
        shape: Weight shape. Rank 0 gives ``(1, 1)``.
        input_axes, output_axes: With both given (Keras 3.15), the fans are the
            products of those axes' sizes; otherwise the last two axes (times the
            others, a convolution's receptive field) decide.

    Returns:
        ``(fan_in, fan_out)`` as ints.
    """
    if input_axes is not None and output_axes is not None:
        if not all(-len(shape) <= a < len(shape) for a in (*input_axes, *output_axes)):
            raise ShapeError(
                f"compute_fans: input_axes {list(input_axes)} and output_axes "
                f"{list(output_axes)} must be axes of the weight shape {tuple(shape)}."
            )
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    receptive = math.prod(shape[:-2])
    return int(shape[-2] * receptive), int(shape[-1] * receptive)


def _check_shape(owner: str, shape: Any) -> tuple[int, ...]:
    expected = "a tuple of non-negative integers"
    if not isinstance(shape, (tuple, list)):
        raise ArgumentTypeError(argument_message(owner, "shape", expected, shape))
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 0:
            raise ArgumentError(argument_message(owner, "shape", expected, shape))
    return tuple(int(dim) for dim in shape)


def _check_dtype(owner: str, dtype: Any) -> np.dtype:
    expected = "a floating-point dtype such as 'float32'"
    if dtype is None:  # Keras's floatx
        dtype = "float32"
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise ArgumentTypeError(argument_message(owner, "dtype", expected, dtype)) from None
    if result.kind != "f":
        raise ArgumentError(argument_message(owner, "dtype", expected, dtype))
    return result


class Initializer:
    """Base class: ``init(shape, dtype)`` returns a new array of that shape and dtype.

    Subclasses implement ``_generate(shape, dtype)``, which receives a validated tuple
    shape and a floating :class:`numpy.dtype`, and ``get_config``.
    """

    def __call__(self, shape: tuple[int, ...], dtype: Any = "float32") -> np.ndarray:
        """Return a new array of ``shape`` and ``dtype``.

        Raises:
            ArgumentError: a negative dimension or a non-floating dtype.
            ArgumentTypeError: ``shape`` is not a tuple or list.
        """
        owner = type(self).__name__
        return self._generate(_check_shape(owner, shape), _check_dtype(owner, dtype))

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement _generate")

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """Rebuild an initializer from :meth:`get_config` output (or Keras's).

        Raises:
            ArgumentError: a key the initializer does not take.
        """
        parameters = inspect.signature(cls.__init__).parameters
        known = set(parameters) - {"self"}
        unknown = sorted(set(config) - known)
        takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        if unknown and not takes_any:
            raise ArgumentError(
                f"{cls.__name__}.from_config: unknown key(s) {', '.join(map(repr, unknown))}; "
                f"it takes {', '.join(sorted(known)) or 'no arguments'}."
            )
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros."""

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.zeros(shape, dtype)


class Ones(Initializer):
    """All ones."""

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.ones(shape, dtype)


class Constant(Initializer):
    """Every element equal to ``value``.

    Args:
        value: The scalar to fill with.
    """

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_real("Constant", "value", value, finite=True)

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.full(shape, self.value, dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"value": self.value}


class _Seeded(Initializer):
    """A random initializer: fixes its seed once, so repeated calls agree."""

    def __init__(self, seed: int | None) -> None:
        self.seed = check_seed(type(self).__name__, "seed", seed)
        # Keras 3 `make_default_seed`: one Python-random draw at construction.
        self._seed = self.seed if self.seed is not None else random.randint(1, int(1e9))

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self._seed, 0])

    def _normal(self, shape: tuple[int, ...], mean: float, stddev: float) -> np.ndarray:
        return self._rng().normal(loc=mean, scale=stddev, size=shape)  # float64

    def _uniform(self, shape: tuple[int, ...], low: float, high: float) -> np.ndarray:
        return self._rng().uniform(low=low, high=high, size=shape)  # float64

    def _truncated_normal(self, shape: tuple[int, ...], mean: float, stddev: float) -> np.ndarray:
        # Keras 3 NumPy backend: draw batches of prod(shape) normals, keep those within
        # mean +- 2 stddev, repeat until enough, take the first prod(shape).
        rng, size = self._rng(), math.prod(shape)
        low, high = mean - 2 * stddev, mean + 2 * stddev
        kept = np.empty(0)
        while kept.size < size:
            batch = rng.normal(loc=mean, scale=stddev, size=size)
            kept = np.concatenate([kept, batch[(batch >= low) & (batch <= high)]])
        return kept[:size].reshape(shape)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"seed": self.seed}


class RandomNormal(_Seeded):
    """Normal distribution ``N(mean, stddev**2)``.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation, >= 0.
        seed: Integer seed, or None for one picked at construction.
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        super().__init__(seed)
        self.mean = check_real(type(self).__name__, "mean", mean, finite=True)
        self.stddev = check_real(type(self).__name__, "stddev", stddev, minimum=0.0, finite=True)

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return self._normal(shape, self.mean, self.stddev).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """Normal distribution resampled until within ``mean +- 2 * stddev``.

    ``stddev`` is the stddev of the normal *before* truncation (no 0.8796 correction),
    so the values' actual standard deviation is about ``0.88 * stddev``.

    Args:
        mean: Mean of the values.
        stddev: Standard deviation of the untruncated normal, >= 0.
        seed: Integer seed, or None for one picked at construction.
    """

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return self._truncated_normal(shape, self.mean, self.stddev).astype(dtype)


class RandomUniform(_Seeded):
    """Uniform distribution on ``[minval, maxval)``.

    Args:
        minval: Lower bound.
        maxval: Upper bound, >= ``minval``.
        seed: Integer seed, or None for one picked at construction.
    """

    def __init__(
        self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None
    ) -> None:
        super().__init__(seed)
        self.minval = check_real("RandomUniform", "minval", minval, finite=True)
        self.maxval = check_real(
            "RandomUniform", "maxval", maxval, minimum=self.minval, finite=True
        )

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return self._uniform(shape, self.minval, self.maxval).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class VarianceScaling(_Seeded):
    """Random values whose variance is ``scale / fan``.

    With ``s = scale / max(1, fan)``, where ``fan`` is ``fan_in``, ``fan_out`` or
    ``(fan_in + fan_out) / 2`` (see :func:`compute_fans`):

    - ``"truncated_normal"`` (alias ``"normal"``): normal with stddev
      ``sqrt(s) / 0.87962566103423978``, truncated at +-2 stddev;
    - ``"untruncated_normal"``: normal with stddev ``sqrt(s)``;
    - ``"uniform"``: uniform on ``[-sqrt(3 s), sqrt(3 s))``.

    Args:
        scale: Positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: Integer seed, or None for one picked at construction.
        input_axes, output_axes: None, or lists of axes whose sizes multiply into
            ``fan_in`` / ``fan_out`` (Keras 3.15; used when both are given).
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(seed)
        owner = type(self).__name__
        self.input_axes = _check_axes(owner, "input_axes", input_axes)
        self.output_axes = _check_axes(owner, "output_axes", output_axes)
        self.scale = check_real(owner, "scale", scale, finite=True)
        if not self.scale > 0:
            raise ArgumentError(argument_message(owner, "scale", "a number > 0", scale))
        self.mode = check_choice(owner, "mode", mode, ("fan_in", "fan_out", "fan_avg"))
        distributions = ("truncated_normal", "untruncated_normal", "uniform", "normal")
        if isinstance(distribution, str):
            distribution = distribution.lower()  # as Keras
        distribution = check_choice(owner, "distribution", distribution, distributions)
        self.distribution = "truncated_normal" if distribution == "normal" else distribution

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}
        s = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "truncated_normal":
            values = self._truncated_normal(shape, 0.0, math.sqrt(s) / _TRUNCATION_STDDEV)
        elif self.distribution == "untruncated_normal":
            values = self._normal(shape, 0.0, math.sqrt(s))
        else:
            limit = math.sqrt(3.0 * s)
            values = self._uniform(shape, -limit, limit)
        return values.astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "seed": self.seed,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


def _check_axes(owner: str, name: str, axes: Any) -> list[int] | None:
    """None, or a list of integer axes (Keras 3.15's ``input_axes`` / ``output_axes``)."""
    if axes is None:
        return None
    expected = "None or a list of integer axes"
    if not isinstance(axes, (list, tuple)) or not all(
        isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes
    ):
        raise ArgumentTypeError(argument_message(owner, name, expected, axes))
    return [int(a) for a in axes]


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling whose arguments are ``seed`` and Keras 3.15's axes."""

    _args: tuple[float, str, str]

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(*self._args, seed=seed, input_axes=input_axes, output_axes=output_axes)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / (fan_in + fan_out))``: VarianceScaling(1, fan_avg, uniform)."""

    _args = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / (fan_in + fan_out)) / 0.8796...``."""

    _args = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(2 / fan_in) / 0.8796...``."""

    _args = (2.0, "fan_in", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(6 / fan_in)``: VarianceScaling(2, fan_in, uniform)."""

    _args = (2.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """Truncated normal, stddev ``sqrt(1 / fan_in) / 0.8796...``."""

    _args = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """Uniform on ``+-sqrt(3 / fan_in)``: VarianceScaling(1, fan_in, uniform)."""

    _args = (1.0, "fan_in", "uniform")


class Orthogonal(_Seeded):
    """A (semi-)orthogonal matrix, reshaped to ``shape``, times ``gain``.

    With ``rows = prod(shape[:-1])`` and ``cols = shape[-1]``: draw a standard normal
    ``a`` of shape ``(max(rows, cols), min(rows, cols))`` cast to ``dtype``, take the
    reduced QR ``a = q r``, fix signs with ``q * sign(diag(r))`` (which makes the result
    unique), and transpose if ``rows < cols``. So a tall result has orthonormal columns
    and a wide one, such as an LSTM recurrent kernel ``(n, 4n)``, has orthonormal rows.

    Args:
        gain: Multiplier of the orthogonal matrix.
        seed: Integer seed, or None for one picked at construction.

    Raises:
        ArgumentError: when called with a shape of rank < 2.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        super().__init__(seed)
        self.gain = check_real("Orthogonal", "gain", gain, finite=True)

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if len(shape) < 2:
            raise ArgumentError(
                argument_message("Orthogonal", "shape", "a shape of rank >= 2", shape)
            )
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = self._normal((max(rows, cols), min(rows, cols)), 0.0, 1.0).astype(dtype)
        q, r = np.linalg.qr(a)  # q: (max, min), r: (min, min)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T  # (rows, cols)
        return (self.gain * q.reshape(shape)).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular allowed; 2-D shapes only).

    Args:
        gain: Multiplier of the identity.

    Raises:
        ArgumentError: when called with a shape that is not 2-D.
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = check_real("Identity", "gain", gain, finite=True)

    def _generate(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ArgumentError(argument_message("Identity", "shape", "a 2-D shape", shape))
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        return {"gain": self.gain}


# Keras's snake_case aliases name the classes themselves.
zeros = Zeros
ones = Ones
constant = Constant
random_normal = normal = RandomNormal
random_uniform = uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
identity = Identity

_REGISTRY: dict[str, type[Initializer]] = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "random_normal": RandomNormal,
    "normal": RandomNormal,
    "random_uniform": RandomUniform,
    "uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "identity": Identity,
}
# Class names too, as serialized dicts and Keras configs spell them, and Keras 3's other
# aliases (resolved, not listed in messages).
_CLASSES = {cls.__name__: cls for cls in _REGISTRY.values()}
_CLASSES.update(
    zero=Zeros, one=Ones, OrthogonalInitializer=Orthogonal, IdentityInitializer=Identity
)


def get(
    identifier: str | dict[str, Any] | Initializer | type[Initializer],
    *,
    owner: str = "initializer",
    name: str = "initializer",
) -> Initializer:
    """Return the initializer named, described or given by ``identifier``.

    Args:
        identifier: A registry name (``"glorot_uniform"``) or class name
            (``"GlorotUniform"``), each giving a new default instance; an
            :class:`Initializer` class or instance; or a dict
            ``{"class_name": ..., "config": {...}}`` as :func:`serialize` writes.
        owner: Who asks, for error messages (``"LSTM"``).
        name: The argument being resolved, for error messages (``"kernel_initializer"``).

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else, including None.
    """
    expected = (
        "an initializer name (" + ", ".join(_REGISTRY) + "), an rnnkit.initializers "
        "object or a {'class_name': ..., 'config': ...} dict"
    )
    return registry.resolve(
        identifier, Initializer, _REGISTRY, _CLASSES, owner=owner, name=name, expected=expected
    )


def serialize(initializer: Initializer) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}``, which :func:`get` turns back into one."""
    return registry.serialize(initializer)


def names() -> tuple[str, ...]:
    """All registered initializer names."""
    return tuple(_REGISTRY)
