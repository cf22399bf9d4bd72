"""Optimizers and learning-rate schedules with Keras 3 names, defaults and update rules.

An optimizer updates a list of parameter arrays in place from a list of gradient arrays of
the same shapes. One :meth:`Optimizer.apply` call is one training step, in Keras 3's order
(``BaseOptimizer.apply`` and the torch backend's fused updates):

1. the gradients are clipped (at most one of ``clipvalue``, ``clipnorm``,
   ``global_clipnorm``), into scratch buffers: the caller's arrays are never written;
2. with ``weight_decay``, every parameter shrinks: ``w <- w * (1 - weight_decay * lr)``;
3. the optimizer's own rule updates each parameter and its state;
4. ``iterations`` grows by one.

``lr`` is the step's learning rate, :attr:`Optimizer.current_learning_rate`: the float
given, or the schedule evaluated at ``iterations`` (before the increment), divided by
``1 + decay * iterations`` when Keras 2's legacy ``decay`` is set. ``t = iterations + 1``
in the equations below. Updates run in each parameter's dtype (float32 or float64),
scalar coefficients included (``beta_2 ** t``, the clipping factor, ...), with the
operations in the order of Keras's torch backend: float32 training follows Keras to
within a float32 rounding or two.

State ("slots": momentum, velocity, ...) is created on the first call, one array per
parameter per slot, aligned with the parameters by position. :meth:`Optimizer.get_state`
and :meth:`Optimizer.set_state` move it as plain NumPy arrays and numbers, so a resumed run
is bit-for-bit the same as an uninterrupted one.

Large C-contiguous parameters are updated in blocks of 65536 elements (the dozen passes of
an update then stay in cache) through a few reused scratch buffers, so a step allocates
nothing after the first. Embedding gradients may come with the rows they touch
(``apply(..., rows=...)``): SGD without momentum and Adagrad then update only those rows.

>>> import numpy as np
>>> w = np.array([1.0, -2.0])
>>> opt = get("sgd")
>>> opt.apply([w], [np.array([0.5, -1.0])])
>>> w
array([ 0.995, -1.99 ])
>>> opt.iterations
1
>>> opt = Adam(learning_rate=schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5))
>>> opt.current_learning_rate
0.1
>>> get(serialize(opt)).get_config() == opt.get_config()
True
"""

from __future__ import annotations

import bisect
import inspect
import math
import numbers
import types
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from rnnkit import registry
from rnnkit.errors import ArgumentError, ArgumentTypeError, ShapeError, argument_message
from rnnkit.validation import check_bool

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
# Elements per block of a large contiguous update: the dozen passes of an update then run
# on cached blocks (about twice as fast as whole 3M-element arrays; results identical).
_BLOCK = 1 << 16


def _number(
    owner: str, name: str, value: Any, expected: str, ok: Callable[[float], bool]
) -> int | float:
    """Return ``value`` (an int stays an int) if it is a finite real number passing ``ok``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(argument_message(owner, name, expected, value))
    if not (math.isfinite(value) and ok(float(value))):
        raise ArgumentError(argument_message(owner, name, expected, value))
    return int(value) if isinstance(value, numbers.Integral) else float(value)


def _non_negative(owner: str, name: str, value: Any) -> float:
    return float(_number(owner, name, value, "a finite number >= 0", lambda v: v >= 0.0))


def _optional_positive(owner: str, name: str, value: Any) -> float | None:
    if value is None:
        return None
    return float(_number(owner, name, value, "None or a finite number > 0", lambda v: v > 0.0))


def _unit_interval(owner: str, name: str, value: Any, *, closed: bool) -> float:
    if closed:
        return float(_number(owner, name, value, "a float in [0, 1]", lambda v: 0.0 <= v <= 1.0))
    return float(_number(owner, name, value, "a float in [0, 1)", lambda v: 0.0 <= v < 1.0))


def _name(owner: str, value: Any, default: str) -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise ArgumentTypeError(argument_message(owner, "name", "None or a string", value))
    return value


# --------------------------------------------------------------------------------------
# Learning-rate schedules
# --------------------------------------------------------------------------------------


class LearningRateSchedule:
    """Base class: ``schedule(step)`` is the learning rate at optimizer step ``step``.

    Subclasses implement ``__call__(step) -> float`` and ``get_config()``. An optimizer
    calls its schedule with its ``iterations`` before each update (0 at the first step).
    """

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step`` as a Python float."""
        raise NotImplementedError(f"{type(self).__name__} does not implement __call__")

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from :meth:`get_config` output."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _DecaySchedule(LearningRateSchedule):
    """Shared arguments of the exponential and inverse-time schedules."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        *,
        name: str,
    ) -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _non_negative(
            owner, "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = _number(
            owner, "decay_steps", decay_steps, "a finite number > 0", lambda v: v > 0.0
        )
        self.decay_rate = _non_negative(owner, "decay_rate", decay_rate)
        self.staircase = check_bool(owner, "staircase", staircase)
        self.name = _name(owner, name, owner)

    def _progress(self, step: float) -> float:
        p = float(step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_DecaySchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the rate
    drops once every ``decay_steps`` steps.

    Args:
        initial_learning_rate: Rate at step 0, >= 0.
        decay_steps: Steps per factor of ``decay_rate``, > 0.
        decay_rate: Factor per ``decay_steps`` steps, >= 0.
        staircase: Floor the exponent.
        name: Kept in the config, as in Keras.

    >>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> s(0), s(10), s(20)
    (0.1, 0.05, 0.025)
    >>> ExponentialDecay(0.1, 10, 0.5, staircase=True)(19)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        *,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name=name)

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step``."""
        return float(self.initial_learning_rate * self.decay_rate ** self._progress(step))


class InverseTimeDecay(_DecaySchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is floored.

    Args:
        initial_learning_rate: Rate at step 0, >= 0.
        decay_steps: Steps per unit of ``decay_rate``, > 0.
        decay_rate: Growth of the denominator per ``decay_steps`` steps, >= 0.
        staircase: Floor ``step / decay_steps``.
        name: Kept in the config, as in Keras.

    >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> s(0), s(2), s(6)
    (0.1, 0.05, 0.025)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        *,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name=name)

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step``."""
        return float(self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate per interval of steps.

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last boundary.

    Args:
        boundaries: Non-decreasing step numbers, one fewer than ``values``.
        values: Learning rates, each >= 0.
        name: Kept in the config, as in Keras.

    >>> s = PiecewiseConstantDecay([10, 20], [0.1, 0.01, 0.001])
    >>> s(10), s(11), s(20), s(21)
    (0.1, 0.01, 0.01, 0.001)
    """

    def __init__(
        self,
        boundaries: Sequence[float],
        values: Sequence[float],
        *,
        name: str = "PiecewiseConstant",
    ) -> None:
        owner = type(self).__name__
        if not isinstance(boundaries, (list, tuple)):
            raise ArgumentTypeError(
                argument_message(owner, "boundaries", "a list of step numbers", boundaries)
            )
        if not isinstance(values, (list, tuple)):
            raise ArgumentTypeError(
                argument_message(owner, "values", "a list of learning rates", values)
            )
        if len(boundaries) != len(values) - 1:
            raise ArgumentError(
                argument_message(
                    owner,
                    "boundaries",
                    f"one entry shorter than `values` ({len(values)} entries)",
                    boundaries,
                )
            )
        self.boundaries = [
            _number(owner, "boundaries", b, "a list of finite numbers", lambda v: True)
            for b in boundaries
        ]
        if any(b > c for b, c in zip(self.boundaries[:-1], self.boundaries[1:], strict=True)):
            raise ArgumentError(argument_message(owner, "boundaries", "non-decreasing", boundaries))
        self.values = [_non_negative(owner, "values", v) for v in values]
        self.name = _name(owner, name, "PiecewiseConstant")

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step``."""
        # bisect_left counts the boundaries strictly below `step`.
        return self.values[bisect.bisect_left(self.boundaries, float(step))]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end``.

    Without ``cycle`` the step is capped at ``decay_steps`` (the rate stays at
    ``end_learning_rate``); with ``cycle`` ``decay_steps`` is multiplied by
    ``ceil(step / decay_steps)`` (1 at step 0), restarting the decay.

    Args:
        initial_learning_rate: Rate at step 0, >= 0.
        decay_steps: Length of the decay, > 0.
        end_learning_rate: Final rate, >= 0.
        power: Exponent of the polynomial, >= 0.
        cycle: Restart after ``decay_steps``.
        name: Kept in the config, as in Keras.

    >>> s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> s(0), s(5), s(15)
    (0.1, 0.05, 0.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        *,
        name: str = "PolynomialDecay",
    ) -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _non_negative(
            owner, "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = _number(
            owner, "decay_steps", decay_steps, "a finite number > 0", lambda v: v > 0.0
        )
        self.end_learning_rate = _non_negative(owner, "end_learning_rate", end_learning_rate)
        self.power = _non_negative(owner, "power", power)
        self.cycle = check_bool(owner, "cycle", cycle)
        self.name = _name(owner, name, "PolynomialDecay")

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step``."""
        step = float(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        fraction = step / decay_steps
        delta = self.initial_learning_rate - self.end_learning_rate
        return float(delta * (1.0 - fraction) ** self.power + self.end_learning_rate)

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warmup (Loshchilov & Hutter, SGDR).

    Without ``warmup_target``, with ``s = min(step, decay_steps)``::

        lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)

    With ``warmup_target``, ``s = min(step, warmup_steps + decay_steps)``: while
    ``s < warmup_steps`` the rate rises linearly,
    ``initial + (warmup_target - initial) * s / warmup_steps``; afterwards it decays as
    above from ``warmup_target`` with ``s - warmup_steps``.

    Args:
        initial_learning_rate: Rate at step 0, >= 0.
        decay_steps: Length of the cosine decay, > 0.
        alpha: Final rate as a fraction of the rate the decay starts from.
        warmup_target: Rate at the end of the warmup; None for no warmup.
        warmup_steps: Length of the warmup, >= 0.
        name: Kept in the config, as in Keras.

    >>> s = CosineDecay(1.0, decay_steps=10)
    >>> s(0), round(s(5), 12), s(10), s(50)
    (1.0, 0.5, 0.0, 0.0)
    >>> w = CosineDecay(0.0, decay_steps=10, warmup_target=0.1, warmup_steps=4)
    >>> w(1), w(4)
    (0.025, 0.1)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        *,
        warmup_target: float | None = None,
        warmup_steps: float = 0,
        name: str = "CosineDecay",
    ) -> None:
        owner = type(self).__name__
        self.initial_learning_rate = _non_negative(
            owner, "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = _number(
            owner, "decay_steps", decay_steps, "a finite number > 0", lambda v: v > 0.0
        )
        self.alpha = _number(owner, "alpha", alpha, "a finite number", lambda v: True)
        self.warmup_target = (
            None if warmup_target is None else _non_negative(owner, "warmup_target", warmup_target)
        )
        self.warmup_steps = _number(
            owner, "warmup_steps", warmup_steps, "a finite number >= 0", lambda v: v >= 0.0
        )
        self.name = _name(owner, name, "CosineDecay")

    def _decay(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * (step / self.decay_steps)))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        """Return the learning rate at ``step``."""
        step = float(step)
        if self.warmup_target is None:
            return float(self._decay(min(step, self.decay_steps), self.initial_learning_rate))
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return float(delta * (step / self.warmup_steps) + self.initial_learning_rate)
        return float(self._decay(step - self.warmup_steps, self.warmup_target))

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict (Keras keys)."""
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


_SCHEDULES: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
    )
}


def serialize_schedule(schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return the dict Keras 3 writes for a schedule (``module``, ``class_name``, ``config``)."""
    return {
        "module": "keras.optimizers.schedules",
        "class_name": type(schedule).__name__,
        "config": schedule.get_config(),
        "registered_name": None,
    }


def deserialize_schedule(
    config: dict[str, Any], *, owner: str = "schedules", name: str = "config"
) -> LearningRateSchedule:
    """Rebuild a schedule from :func:`serialize_schedule` output (or Keras's).

    Raises:
        ArgumentError: an unknown ``class_name``.
        ArgumentTypeError: not a ``{"class_name": ..., "config": ...}`` dict.
    """
    if not (isinstance(config, Mapping) and isinstance(config.get("class_name"), str)):
        expected = "a {'class_name': ..., 'config': ...} dict"
        raise ArgumentTypeError(argument_message(owner, name, expected, config))
    cls = _SCHEDULES.get(config["class_name"])
    if cls is None:
        expected = "a schedule class name among " + ", ".join(_SCHEDULES)
        raise ArgumentError(argument_message(owner, name, expected, config["class_name"]))
    return cls.from_config(dict(config.get("config") or {}))


#: Keras's ``keras.optimizers.schedules`` namespace.
schedules = types.SimpleNamespace(
    LearningRateSchedule=LearningRateSchedule,
    ExponentialDecay=ExponentialDecay,
    InverseTimeDecay=InverseTimeDecay,
    PiecewiseConstantDecay=PiecewiseConstantDecay,
    PolynomialDecay=PolynomialDecay,
    CosineDecay=CosineDecay,
    serialize=serialize_schedule,
    deserialize=deserialize_schedule,
)


# --------------------------------------------------------------------------------------
# Optimizers
# --------------------------------------------------------------------------------------

# Keras 3 config keys that rnnkit does not implement, and the values that mean "off"
# (_ANY: meaningless while the feature they tune is off).
_ANY = object()
_KERAS_ONLY_KEYS: dict[str, Any] = {
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "jit_compile": _ANY,
    "is_legacy_optimizer": _ANY,
}


def _update_moments(
    grad: np.ndarray, m: np.ndarray, v: np.ndarray, beta_1: float, beta_2: float, tmp: np.ndarray
) -> None:
    """Adam's moments in place: ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``."""
    dtype = m.dtype.type
    m *= dtype(beta_1)
    m += np.multiply(grad, dtype(1.0 - beta_1), out=tmp)
    v *= dtype(beta_2)
    np.multiply(grad, grad, out=tmp)
    tmp *= dtype(1.0 - beta_2)
    v += tmp


class Optimizer:
    """Base class: clipping, weight decay, learning rate, state and the ``apply`` loop.

    Subclasses name their state in ``_slot_names()``, may compute per-step scalars in
    ``_step_scalars(lr, dtype)`` and implement ``_update(param, grad, slot, scalars)``,
    which updates ``param`` and its state arrays ``slot[name]`` in place. The base class
    may pass matching flat blocks of all of them (the update is elementwise).

    Args:
        learning_rate: A float >= 0 or a :class:`LearningRateSchedule`.
        weight_decay: If set, every step first shrinks each parameter by the factor
            ``1 - weight_decay * lr`` (decoupled weight decay, as Keras 3).
        clipnorm: If set, each gradient ``g`` becomes ``g * clipnorm / max(||g||, clipnorm)``.
        clipvalue: If set, each gradient is clipped elementwise to
            ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, all gradients are scaled by
            ``global_clipnorm / max(N, global_clipnorm)``, ``N`` the L2 norm of all of them
            together. At most one of the three clipping options may be set (Keras 3).
        name: Defaults to Keras's name for the class (``"adam"``, ``"rm_sprop"``, ...).
        lr: Deprecated Keras 2 alias of ``learning_rate`` (warns).
        decay: Keras 2's legacy inverse-time decay: the learning rate of step
            ``iterations`` is divided by ``1 + decay * iterations``. 0 or None: off.
        use_ema: Keep an exponential moving average of every parameter (Keras 3): after
            each update ``average = m * average + (1 - m) * param`` (``m = 0`` at the
            first step). ``Sequential.fit`` replaces the parameters with their averages
            when training ends (:meth:`finalize_variable_values`), before callbacks'
            ``on_train_end`` (so ``EarlyStopping(restore_best_weights=True)`` wins, as
            in Keras).
        ema_momentum: ``m`` above, in [0, 1].
        ema_overwrite_frequency: With ``use_ema``, every this many steps the parameters
            are also replaced by their averages (training goes on from there); None:
            only at the end.

    Raises:
        ArgumentError: a value out of range, or two clipping options.
        ArgumentTypeError: an argument of the wrong type.
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule,
        *,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        name: str | None = None,
        lr: float | LearningRateSchedule | None = None,
        decay: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
    ) -> None:
        owner = type(self).__name__
        if lr is not None:
            own = inspect.signature(type(self)).parameters.get("learning_rate")
            default = inspect.Parameter.empty if own is None else own.default
            if learning_rate is not default and learning_rate != default:
                raise ArgumentError(
                    f"{owner}: pass the learning rate once, as `learning_rate`; got both "
                    f"learning_rate={learning_rate!r} and its deprecated alias lr={lr!r}."
                )
            warnings.warn(
                f"{owner}: `lr` is deprecated (Keras 2); use `learning_rate`.",
                DeprecationWarning,
                stacklevel=3,
            )
            learning_rate = lr
        self.name = _name(owner, name, _KERAS_NAMES.get(owner, owner.lower()))
        self.learning_rate = learning_rate
        self.weight_decay = (
            None if weight_decay is None else _non_negative(owner, "weight_decay", weight_decay)
        )
        self.clipnorm = _optional_positive(owner, "clipnorm", clipnorm)
        self.clipvalue = _optional_positive(owner, "clipvalue", clipvalue)
        self.global_clipnorm = _optional_positive(owner, "global_clipnorm", global_clipnorm)
        clipping = {
            "clipnorm": clipnorm,
            "clipvalue": clipvalue,
            "global_clipnorm": global_clipnorm,
        }
        if sum(v is not None for v in clipping.values()) > 1:
            given = ", ".join(f"{k}={v!r}" for k, v in clipping.items() if v is not None)
            raise ArgumentError(
                f"{owner}: set at most one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                f"(as in Keras 3); got {given}."
            )
        self.decay = 0.0 if decay is None else _non_negative(owner, "decay", decay)
        if not isinstance(use_ema, (bool, np.bool_)):
            raise ArgumentTypeError(argument_message(owner, "use_ema", "True or False", use_ema))
        self.use_ema = bool(use_ema)
        self.ema_momentum = float(
            _number(
                owner, "ema_momentum", ema_momentum, "a float in [0, 1]", lambda v: 0.0 <= v <= 1.0
            )
        )
        if ema_overwrite_frequency is not None and (
            isinstance(ema_overwrite_frequency, bool)
            or not isinstance(ema_overwrite_frequency, numbers.Integral)
            or ema_overwrite_frequency < 1
        ):
            raise ArgumentError(
                argument_message(
                    owner,
                    "ema_overwrite_frequency",
                    "an integer >= 1 or None",
                    ema_overwrite_frequency,
                )
            )
        self.ema_overwrite_frequency = (
            None if ema_overwrite_frequency is None else int(ema_overwrite_frequency)
        )
        self.iterations = 0
        self._shapes: list[tuple[int, ...]] | None = None
        self._slots: dict[str, list[np.ndarray]] = {}
        # Reused temporaries, (dtype, index) -> flat buffer; not state.
        self._scratch: dict[tuple[np.dtype, int], np.ndarray] = {}

    # ---- learning rate -----------------------------------------------------------------

    @property
    def learning_rate(self) -> float | LearningRateSchedule:
        """The learning rate as configured: a float or a :class:`LearningRateSchedule`.

        Assigning a float replaces it (as Keras callbacks do), except over a schedule.
        """
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float | LearningRateSchedule) -> None:
        owner = type(self).__name__
        if isinstance(value, LearningRateSchedule):
            self._learning_rate: float | LearningRateSchedule = value
            return
        if isinstance(getattr(self, "_learning_rate", None), LearningRateSchedule):
            raise ArgumentTypeError(
                f"{owner}: the learning rate is a schedule and cannot be set to {value!r}; "
                "create the optimizer with a float `learning_rate` to change it during training."
            )
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            expected = "a float >= 0 or an rnnkit.optimizers.schedules object"
            raise ArgumentTypeError(argument_message(owner, "learning_rate", expected, value))
        expected = "a finite number >= 0"
        value = _number(owner, "learning_rate", value, expected, lambda v: v >= 0.0)
        self._learning_rate = float(value)

    @property
    def current_learning_rate(self) -> float:
        """The learning rate of the next step: the schedule at ``iterations``, with legacy decay."""
        rate = self._learning_rate
        lr = rate(self.iterations) if isinstance(rate, LearningRateSchedule) else rate
        if self.decay:
            lr = lr / (1.0 + self.decay * self.iterations)
        return float(lr)

    # ---- state --------------------------------------------------------------------------

    @property
    def built(self) -> bool:
        """Whether the state exists (after the first :meth:`apply`, :meth:`build` or state load)."""
        return self._shapes is not None

    def _slot_names(self) -> tuple[str, ...]:
        """Names of the per-parameter state arrays, in Keras's order."""
        return ()

    def _state_names(self) -> tuple[str, ...]:
        """Every per-parameter state: the EMA's ``average`` (with ``use_ema``), then the slots."""
        return (("average",) if self.use_ema else ()) + self._slot_names()

    def _initial_slot(self, name: str, param: np.ndarray) -> np.ndarray:
        # The EMA starts at the parameter (Keras builds its averages as copies).
        return param.copy() if name == "average" else np.zeros_like(param)

    def _scalar_state(self) -> dict[str, float]:
        """Per-optimizer scalar state beyond ``iterations`` (Nadam's running product)."""
        return {}

    def _set_scalar_state(self, values: dict[str, float]) -> None:
        return None

    def build(self, params: Sequence[np.ndarray]) -> None:
        """Take ``params`` as the parameters to hold state for; no-op once built.

        Each parameter's slots (zeros, Adagrad's initial value, the EMA's copy of the
        parameter) are made at its first update: a parameter that never gets a gradient
        (a frozen layer's) costs no memory and is saved without state (None).
        """
        if self.built:
            return
        self._shapes = [tuple(p.shape) for p in params]
        self._slots = {name: [None] * len(params) for name in self._state_names()}

    def get_state(self) -> dict[str, Any]:
        """Return copies of the state: ``iterations``, scalars, and each slot's list of arrays.

        Slot lists are in parameter order; the optimizer's arrays are copied, so later
        steps do not change what was returned. Before the first step there are no slots.

        >>> import numpy as np
        >>> opt = SGD(0.1, momentum=0.9)
        >>> opt.apply([np.zeros(2)], [np.ones(2)])
        >>> opt.get_state()
        {'iterations': 1, 'momentum': [array([-0.1, -0.1])]}
        """
        state: dict[str, Any] = {"iterations": self.iterations}
        state.update(self._scalar_state())
        for name, arrays in self._slots.items():
            state[name] = [None if a is None else a.copy() for a in arrays]
        return state

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore state returned by :meth:`get_state` of an optimizer with the same config.

        Slot arrays are copied. A state without slots (saved before the first step)
        returns the optimizer to its unbuilt state.

        Raises:
            ArgumentError: missing or unexpected keys, or inconsistent lengths or shapes.
            ArgumentTypeError: values of the wrong type.
        """
        owner = f"{type(self).__name__}.set_state"
        if not isinstance(state, Mapping):
            raise ArgumentTypeError(argument_message(owner, "state", "a dict", state))
        scalar_keys = tuple(self._scalar_state())
        slot_names = self._state_names()
        has_slots = bool(slot_names) and any(k in state for k in slot_names)
        expected_keys = {"iterations", *scalar_keys, *(slot_names if has_slots else ())}
        if set(state) != expected_keys:
            expected = "a dict with keys " + ", ".join(
                repr(k) for k in ("iterations", *scalar_keys, *slot_names)
            )
            raise ArgumentError(
                argument_message(owner, "state", expected, sorted(state))
                + " Restore state into an optimizer built from the same config."
            )
        iterations = _state_int(owner, state["iterations"])
        scalars = {k: _state_float(owner, k, state[k]) for k in scalar_keys}
        slots: dict[str, list[np.ndarray]] = {}
        shapes: list[tuple[int, ...]] | None = None
        for name in slot_names if has_slots else ():
            arrays = _state_arrays(owner, name, state[name])
            current = [None if a is None else a.shape for a in arrays]
            if shapes is None:
                shapes = current
            elif current != shapes:
                raise ArgumentError(
                    argument_message(owner, name, f"arrays of shapes {shapes}", current)
                )
            slots[name] = arrays
        if shapes is not None and self._shapes is not None and not _fits(shapes, self._shapes):
            raise ArgumentError(
                argument_message(owner, "state", f"slots of shapes {self._shapes}", shapes)
            )
        self.iterations = iterations
        self._set_scalar_state(scalars)
        self._slots = slots
        self._shapes = shapes if has_slots else None

    # ---- config -------------------------------------------------------------------------

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        rate = self._learning_rate
        config: dict[str, Any] = {
            "name": self.name,
            "learning_rate": (
                serialize_schedule(rate) if isinstance(rate, LearningRateSchedule) else rate
            ),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
        }
        if self.decay:
            config["decay"] = self.decay
        config["use_ema"] = self.use_ema
        config["ema_momentum"] = self.ema_momentum
        config["ema_overwrite_frequency"] = self.ema_overwrite_frequency
        return config

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Optimizer:
        """Rebuild an optimizer (without state) from :meth:`get_config` or Keras 2/3 output.

        Keras-only options (loss scaling, gradient accumulation) are accepted at the
        values that turn them off, and refused otherwise.

        Raises:
            ArgumentError: an unknown key, or a Keras-only option that is turned on.
        """
        owner = f"{cls.__name__}.from_config"
        config = dict(config)
        for key, off in _KERAS_ONLY_KEYS.items():
            if key in config:
                value = config.pop(key)
                if off is not _ANY and value != off:
                    expected = f"{off!r} (rnnkit does not implement it)"
                    raise ArgumentError(argument_message(owner, key, expected, value))
        if "lr" in config and "learning_rate" not in config:
            config["learning_rate"] = config.pop("lr")  # Keras 2.0-2.2 files
        if isinstance(config.get("learning_rate"), Mapping):
            config["learning_rate"] = deserialize_schedule(
                config["learning_rate"], owner=owner, name="learning_rate"
            )
        accepted = [
            p
            for p in (
                *inspect.signature(cls).parameters,
                *inspect.signature(Optimizer).parameters,
            )
            if p not in ("options", "lr")
        ]
        unknown = sorted(set(config) - set(accepted))
        if unknown:
            expected = "a dict with keys among " + ", ".join(dict.fromkeys(accepted))
            raise ArgumentError(argument_message(owner, "config", expected, unknown))
        return cls(**config)

    def __repr__(self) -> str:
        config = self.get_config()
        if not self.use_ema:  # the averaging options mean nothing while it is off
            for key in ("use_ema", "ema_momentum", "ema_overwrite_frequency"):
                config.pop(key)
        args = ", ".join(f"{k}={v!r}" for k, v in config.items() if v is not None and k != "name")
        return f"{type(self).__name__}({args})"

    # ---- the step -----------------------------------------------------------------------

    def _advance(self, dtype: type[np.floating]) -> None:
        """Update scalar state once per step, before the parameters (Nadam)."""
        return None

    def _step_scalars(self, lr: float, dtype: type[np.floating]) -> dict[str, np.floating]:
        """Scalars shared by every parameter of ``dtype`` in this step, computed in ``dtype``."""
        scalars = {"lr": dtype(lr)}
        if self.weight_decay is not None:
            scalars["shrink"] = dtype(1.0) - dtype(self.weight_decay) * dtype(lr)
        return scalars

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _sparse_ok(self) -> bool:
        """Whether a rows-only update equals the dense one exactly, for this config."""
        return False

    def _sparse_update(
        self,
        param: np.ndarray,
        rows: np.ndarray,
        grad_rows: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no sparse update")

    def _buffer(self, index: int, like: np.ndarray) -> np.ndarray:
        """A reused scratch array shaped and typed like ``like`` (contents undefined)."""
        key = (like.dtype, index)
        flat = self._scratch.get(key)
        if flat is None or flat.size < like.size:
            flat = self._scratch[key] = np.empty(like.size, like.dtype)
        return flat[: like.size].reshape(like.shape)

    def apply(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray | None],
        *,
        rows: Sequence[np.ndarray | None] | None = None,
    ) -> None:
        """Update ``params`` in place from ``grads``: one training step.

        Args:
            params: Float32 or float64 arrays, updated in place (never rebound). The same
                parameters, in the same order, at every call.
            grads: Arrays of the parameters' shapes (any float dtype; cast to the
                parameter's), or None for a parameter this step leaves alone (a frozen
                layer's: no update, no weight decay, its state kept for when it trains
                again). Never modified.
            rows: Optional, aligned with ``params``: None, or an integer index array
                promising that ``grads[i]`` is zero outside rows ``rows[i]`` (embedding
                gradients). Where the result is exactly the dense one (SGD without
                momentum, Adagrad; no weight decay) only those rows are touched;
                otherwise the dense update runs.

        Raises:
            ArgumentError: lists of different lengths, or other parameters than the
                optimizer was built for.
            ArgumentTypeError: something other than NumPy arrays.
            ShapeError: a gradient's shape differs from its parameter's, or a
                non-float dtype.
        """
        grads, rows = self._check_arguments(params, grads, rows)
        if not params:
            return
        self._check_built(params)
        lr = self.current_learning_rate
        # Overflow and NaN propagate silently, as in Keras (TerminateOnNaN and the loss show
        # them); a floating-point warning turned error must not stop an update halfway.
        with np.errstate(all="ignore"):
            self._update_all(params, grads, rows, lr, self._clip_norms(grads))
            if self.use_ema:
                moved = [p if g is not None else None for p, g in zip(params, grads, strict=True)]
                self._update_averages(moved)
        self.iterations += 1

    def _update_averages(self, params: Sequence[np.ndarray | None]) -> None:
        """The moving averages after a step, and the periodic overwrite (Keras 3's order).

        None entries (parameters the step left alone) keep their averages.
        """
        for param, average in zip(params, self._slots["average"], strict=True):
            if param is None:
                continue
            dtype = param.dtype.type
            momentum = dtype(self.ema_momentum if self.iterations else 0.0)
            average *= momentum
            average += (dtype(1.0) - momentum) * param
        frequency = self.ema_overwrite_frequency
        if frequency and (self.iterations + 1) % frequency == 0:
            self.finalize_variable_values(params)

    def finalize_variable_values(self, params: Sequence[np.ndarray | None]) -> None:
        """With ``use_ema``, set ``params`` (in place) to their moving averages; else nothing.

        ``Sequential.fit`` calls this when training ends, as Keras does, with None in
        place of the parameters of frozen layers (which keep their values).
        """
        if not self.use_ema or not self.built:
            return
        averages = self._slots["average"]
        if len(params) != len(averages):
            raise ArgumentError(
                f"{type(self).__name__}: finalize_variable_values got {len(params)} "
                f"parameters; the optimizer averages {len(averages)}."
            )
        for param, average in zip(params, averages, strict=True):
            if param is not None and average is not None:
                param[...] = average

    def _update_all(
        self,
        params: Sequence[np.ndarray],
        grads: list[np.ndarray | None],
        rows: list[np.ndarray | None],
        lr: float,
        norms: list[float] | None,
    ) -> None:
        self._advance(params[0].dtype.type)
        scalars: dict[type[np.floating], dict[str, np.floating]] = {}  # per dtype
        for i, (param, grad) in enumerate(zip(params, grads, strict=True)):
            if grad is None:  # left alone this step (a frozen layer's parameter)
                continue
            for name, arrays in self._slots.items():
                if arrays[i] is None:  # the parameter's first update: its state starts now
                    arrays[i] = self._initial_slot(name, param)
            dtype = param.dtype.type
            if dtype not in scalars:
                scalars[dtype] = self._step_scalars(lr, dtype)
            s = scalars[dtype]
            norm = None if norms is None else norms[i]
            slot = {name: arrays[i] for name, arrays in self._slots.items() if name != "average"}
            r = rows[i]
            if r is not None and self.weight_decay is None and self._sparse_ok():
                grad_rows = grad[r].astype(dtype, copy=False)  # (k, ...)
                self._clip_into(grad_rows, grad_rows, norm)
                self._sparse_update(param, r, grad_rows, slot, s)
            elif param.size > _BLOCK and all(
                a.flags.c_contiguous for a in (param, grad, *slot.values())
            ):
                # Block by block, so that the dozen passes of an update hit the cache.
                flat = [a.reshape(-1) for a in (param, grad, *slot.values())]
                for start in range(0, param.size, _BLOCK):
                    p, g, *blocks = (a[start : start + _BLOCK] for a in flat)
                    self._step(p, g, dict(zip(slot, blocks, strict=True)), norm, s)
            else:
                self._step(param, grad, slot, norm, s)

    def _step(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        norm: float | None,
        s: dict[str, np.floating],
    ) -> None:
        """Clip, decay and update one parameter (or matching blocks of it)."""
        if grad.dtype != param.dtype or self.clipvalue is not None or norm is not None:
            buffer = self._buffer(0, param)
            if grad.dtype != param.dtype:
                buffer[...] = grad
                grad = buffer
            grad = self._clip_into(grad, buffer, norm)
        if self.weight_decay is not None:
            param *= s["shrink"]
        self._update(param, grad, slot, s)

    def _clip_norms(self, grads: list[np.ndarray | None]) -> list[float] | None:
        """The norm each gradient is clipped by (its own, or the global one); None: no norm clip."""
        if self.clipnorm is not None:
            return [0.0 if g is None else math.sqrt(_squared_norm(g)) for g in grads]
        if self.global_clipnorm is not None:
            total = math.sqrt(math.fsum(_squared_norm(g) for g in grads if g is not None))
            return [total] * len(grads)
        return None

    def _clip_into(self, grad: np.ndarray, out: np.ndarray, norm: float | None) -> np.ndarray:
        """Clip ``grad`` into ``out`` (which may be ``grad``) with Keras 3's arithmetic."""
        dtype = out.dtype.type
        if self.clipvalue is not None:
            return np.clip(grad, dtype(-self.clipvalue), dtype(self.clipvalue), out=out)
        # The norm is summed in float64 (where Keras's float32 sum of squares can overflow)
        # and then rounded to the gradient's dtype; a norm beyond that dtype's range is
        # inf, which zeroes the gradient (clipnorm) or makes it NaN (global), as in Keras.
        if self.clipnorm is not None:
            np.multiply(grad, dtype(self.clipnorm), out=out)  # g * c / max(||g||, c)
            return np.divide(out, max(dtype(norm), dtype(self.clipnorm)), out=out)
        if self.global_clipnorm is not None:
            # c * min(1 / N, 1 / c), plus N - N: NaN when N is not finite.
            n, c = dtype(norm), dtype(self.global_clipnorm)
            scale = c * np.minimum(dtype(1.0) / n, dtype(1.0 / self.global_clipnorm)) + (n - n)
            return np.multiply(grad, scale, out=out)
        return grad

    def _check_arguments(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray | None],
        rows: Sequence[np.ndarray | None] | None,
    ) -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
        owner = f"{type(self).__name__}.apply"
        for name, value in (("params", params), ("grads", grads)):
            if not isinstance(value, (list, tuple)):
                raise ArgumentTypeError(argument_message(owner, name, "a list of arrays", value))
        if len(grads) != len(params):
            raise ArgumentError(
                argument_message(
                    owner,
                    "grads",
                    f"a list of {len(params)} arrays (one per param)",
                    f"{len(grads)} arrays",
                )
            )
        if rows is None:
            rows = [None] * len(params)
        elif not isinstance(rows, (list, tuple)) or len(rows) != len(params):
            expected = f"None or a list of {len(params)} entries (None or row indices)"
            raise ArgumentError(argument_message(owner, "rows", expected, rows))
        checked_grads, checked_rows = [], []
        for i, (param, grad, r) in enumerate(zip(params, grads, rows, strict=True)):
            if not isinstance(param, np.ndarray):
                raise ArgumentTypeError(
                    argument_message(owner, f"params[{i}]", "a NumPy array", param)
                )
            if param.dtype not in _FLOAT_DTYPES:
                raise ShapeError(
                    argument_message(owner, f"params[{i}]", "a float32 or float64 array", param)
                )
            if not param.flags.writeable:
                raise ArgumentError(
                    argument_message(owner, f"params[{i}]", "a writeable array", param)
                )
            if grad is None:
                checked_grads.append(None)
                checked_rows.append(None)
                continue
            if not isinstance(grad, np.ndarray):
                raise ArgumentTypeError(
                    argument_message(owner, f"grads[{i}]", "a NumPy array or None", grad)
                )
            if grad.shape != param.shape or grad.dtype.kind != "f":
                expected = f"a float array of shape {param.shape} (as params[{i}])"
                raise ShapeError(argument_message(owner, f"grads[{i}]", expected, grad))
            if r is not None:
                r = np.asarray(r)
                if (
                    r.ndim != 1
                    or r.dtype.kind not in "iu"
                    or param.ndim == 0
                    or (r.size and not (0 <= r.min() and r.max() < len(param)))
                ):
                    expected = (
                        f"None or a 1-D integer array of row indices of params[{i}], "
                        f"in [0, {len(param) if param.ndim else 0})"
                    )
                    raise ArgumentError(argument_message(owner, f"rows[{i}]", expected, r))
            checked_grads.append(grad)
            checked_rows.append(r)
        return checked_grads, checked_rows

    def _check_built(self, params: Sequence[np.ndarray]) -> None:
        if not self.built:
            self.build(params)
            return
        shapes = [tuple(p.shape) for p in params]
        if not _fits(self._shapes, shapes):
            raise ArgumentError(
                f"{type(self).__name__}.apply: this optimizer holds state for parameters of "
                f"shapes {self._shapes}; got {shapes}. Pass the same parameters in the same "
                "order at every step, or create a new optimizer for other parameters."
            )
        self._shapes = shapes  # a restored state leaves unused parameters' shapes open
        for arrays in self._slots.values():
            for i, param in enumerate(params):
                if arrays[i] is not None and arrays[i].dtype != param.dtype:
                    arrays[i] = arrays[i].astype(param.dtype)  # restored into another dtype


def _squared_norm(grad: np.ndarray) -> float:
    """``sum(grad**2)`` accumulated in float64 without a float64 copy of ``grad``."""
    flat = grad.reshape(-1)
    if flat.dtype == np.float64:
        return float(np.dot(flat, flat))
    return float(np.einsum("i,i->", flat, flat, dtype=np.float64))


def _state_int(owner: str, value: Any) -> int:
    value = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
        raise ArgumentError(argument_message(owner, "iterations", "an integer >= 0", value))
    return int(value)


def _state_float(owner: str, name: str, value: Any) -> float:
    value = value.item() if isinstance(value, np.ndarray) and value.ndim == 0 else value
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ArgumentTypeError(argument_message(owner, name, "a float", value))
    return float(value)


def _state_arrays(owner: str, name: str, value: Any) -> list[np.ndarray]:
    expected = "a list of float arrays, one per parameter"
    if not isinstance(value, (list, tuple)):
        raise ArgumentTypeError(argument_message(owner, name, expected, value))
    arrays: list[np.ndarray | None] = []
    for a in value:
        if a is None:  # a parameter that never had an update
            arrays.append(None)
            continue
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            raise ArgumentTypeError(argument_message(owner, name, expected, a))
        arrays.append(np.array(a, copy=True))
    return arrays


def _fits(
    known: Sequence[tuple[int, ...] | None], shapes: Sequence[tuple[int, ...] | None]
) -> bool:
    """Whether two lists of parameter shapes agree (None: not known, agrees with any)."""
    return len(known) == len(shapes) and all(
        k is None or s is None or k == s for k, s in zip(known, shapes, strict=True)
    )


# Keras 3's auto_name(class name) without the uniquifying counter.
_KERAS_NAMES = {
    "SGD": "sgd",
    "RMSprop": "rm_sprop",
    "Adam": "adam",
    "AdamW": "adam_w",
    "Adagrad": "adagrad",
    "Nadam": "nadam",
}


class SGD(Optimizer):
    """Gradient descent, optionally with (Nesterov) momentum.

    With learning rate ``lr``, gradient ``g`` and momentum ``mu``::

        mu = 0:          w <- w - lr * g
        mu > 0:          m <- mu * m - lr * g;   w <- w + m
        nesterov=True:   m <- mu * m - lr * g;   w <- w - lr * g + mu * m

    ``m`` starts at zero. State: ``momentum`` (only when ``mu > 0``).

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.01.
        momentum: ``mu`` in [0, 1]. Defaults to 0.
        nesterov: Use Nesterov momentum.
        **options: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ``lr``, ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0, 2.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.5)
    >>> for _ in range(2):
    ...     opt.apply([w], [np.array([1.0, -1.0])])
    >>> w  # m = -0.1 then -0.15
    array([0.75, 2.25])
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.momentum = _unit_interval("SGD", "momentum", momentum, closed=True)
        self.nesterov = check_bool("SGD", "nesterov", nesterov)

    def _slot_names(self) -> tuple[str, ...]:
        return ("momentum",) if self.momentum else ()

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        step = np.multiply(grad, s["lr"], out=self._buffer(1, param))  # lr * g
        if not self.momentum:
            param -= step
            return
        mu = dtype(self.momentum)
        m = slot["momentum"]
        m *= mu
        m -= step
        if self.nesterov:
            param -= step
            param += np.multiply(m, mu, out=step)
        else:
            param += m

    def _sparse_ok(self) -> bool:
        return not self.momentum

    def _sparse_update(
        self,
        param: np.ndarray,
        rows: np.ndarray,
        grad_rows: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        grad_rows *= s["lr"]
        param[rows] -= grad_rows

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012): divide the gradient by a running RMS of recent gradients.

    With ``rho``, ``eps``, momentum ``mu``::

        v <- rho * v + (1 - rho) * g**2
        centered:  a <- rho * a + (1 - rho) * g;   d = v + eps - a**2
        otherwise: d = v + eps
        inc = lr * g / sqrt(d)
        mu > 0:    m <- mu * m + inc;   w <- w - m
        otherwise: w <- w - inc

    State: ``velocity`` (``v``), ``momentum`` (``m``, when ``mu > 0``),
    ``average_gradient`` (``a``, when centered), all starting at zero.

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.001.
        rho: Discount of the running averages, in [0, 1). Defaults to 0.9.
        momentum: ``mu`` in [0, 1]. Defaults to 0.
        epsilon: ``eps`` >= 0. Defaults to 1e-7.
        centered: Normalize by the estimated variance instead of the second moment.
        **options: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ``lr``, ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> RMSprop(learning_rate=0.1, epsilon=0.0).apply([w], [np.array([2.0])])
    >>> w  # 1 - 0.1 * 2 / sqrt(0.1 * 4)
    array([0.68377223])
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.rho = _unit_interval("RMSprop", "rho", rho, closed=False)
        self.momentum = _unit_interval("RMSprop", "momentum", momentum, closed=True)
        self.epsilon = _non_negative("RMSprop", "epsilon", epsilon)
        self.centered = check_bool("RMSprop", "centered", centered)

    def _slot_names(self) -> tuple[str, ...]:
        names = ("velocity",)
        if self.momentum > 0:
            names += ("momentum",)
        if self.centered:
            names += ("average_gradient",)
        return names

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        rho, keep = dtype(self.rho), dtype(1.0 - self.rho)
        tmp, den = self._buffer(1, param), self._buffer(2, param)
        v = slot["velocity"]
        v *= rho
        np.multiply(grad, grad, out=tmp)
        tmp *= keep
        v += tmp
        np.add(v, dtype(self.epsilon), out=den)
        if self.centered:
            a = slot["average_gradient"]
            a *= rho
            a += np.multiply(grad, keep, out=tmp)
            den -= np.multiply(a, a, out=tmp)
        np.sqrt(den, out=den)
        inc = np.multiply(grad, s["lr"], out=tmp)
        inc /= den
        if self.momentum > 0:
            m = slot["momentum"]
            m *= dtype(self.momentum)
            m += inc
            param -= m
        else:
            param -= inc

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), optionally AMSGrad (Reddi et al., 2018).

    With ``t = iterations + 1``::

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g**2
        amsgrad:  v_hat <- max(v_hat, v), used in place of v below
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w <- w - alpha * m / (sqrt(v) + eps)

    (``eps`` is the paper's "epsilon hat".) State: ``momentum`` (``m``), ``velocity``
    (``v``), ``velocity_hat`` (amsgrad only), all starting at zero.

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.001.
        beta_1: Decay of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: Decay of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: ``eps`` >= 0. Defaults to 1e-7.
        amsgrad: Use the running maximum of ``v``.
        **options: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ``lr``, ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0, 1.0])
    >>> Adam(learning_rate=0.1, epsilon=0.0).apply([w], [np.array([3.0, -0.5])])
    >>> w  # the first step moves each weight by lr against the gradient's sign
    array([0.9, 1.1])
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(learning_rate, **options)
        owner = type(self).__name__
        self.beta_1 = _unit_interval(owner, "beta_1", beta_1, closed=False)
        self.beta_2 = _unit_interval(owner, "beta_2", beta_2, closed=False)
        self.epsilon = _non_negative(owner, "epsilon", epsilon)
        self.amsgrad = check_bool(owner, "amsgrad", amsgrad)

    def _slot_names(self) -> tuple[str, ...]:
        names = ("momentum", "velocity")
        return (*names, "velocity_hat") if self.amsgrad else names

    def _step_scalars(self, lr: float, dtype: type[np.floating]) -> dict[str, np.floating]:
        s = super()._step_scalars(lr, dtype)
        one, t = dtype(1.0), dtype(self.iterations + 1)
        bias_1 = one - dtype(self.beta_1) ** t
        bias_2 = one - dtype(self.beta_2) ** t
        s["alpha"] = s["lr"] * np.sqrt(bias_2) / bias_1
        return s

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        tmp, den = self._buffer(1, param), self._buffer(2, param)
        m, v = slot["momentum"], slot["velocity"]
        _update_moments(grad, m, v, self.beta_1, self.beta_2, tmp)
        if self.amsgrad:
            v = np.maximum(slot["velocity_hat"], v, out=slot["velocity_hat"])
        np.sqrt(v, out=den)
        den += dtype(self.epsilon)
        step = np.multiply(m, s["alpha"], out=tmp)
        step /= den
        param -= step

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as Keras 3.

    Each step first shrinks the weights, ``w <- w * (1 - weight_decay * lr)``, then
    applies the :class:`Adam` update. ``weight_decay`` is required (default 0.004).

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.001.
        weight_decay: Decay factor >= 0. Defaults to 0.004.
        beta_1: Decay of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: Decay of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: ``eps`` >= 0. Defaults to 1e-7.
        amsgrad: Use the running maximum of ``v``.
        **options: ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``name``, ``lr``,
            ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0, 1.0])
    >>> AdamW(learning_rate=0.1, weight_decay=0.5, epsilon=0.0).apply([w], [np.array([3.0, -0.5])])
    >>> w  # 1 * (1 - 0.05) -/+ 0.1
    array([0.85, 1.05])
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **options: Any,
    ) -> None:
        if weight_decay is None:
            raise ArgumentTypeError(
                argument_message(
                    "AdamW",
                    "weight_decay",
                    "a float >= 0",
                    weight_decay,
                    "Use Adam for no weight decay.",
                )
            )
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **options
        )


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011): per-weight rates shrinking with the gradients' sum of squares.

    ::

        acc <- acc + g**2
        w <- w - lr * g / sqrt(acc + eps)

    State: ``accumulator`` (``acc``), starting at ``initial_accumulator_value``.

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.001.
        initial_accumulator_value: Starting value of ``acc``, >= 0. Defaults to 0.1.
        epsilon: ``eps`` >= 0. Defaults to 1e-7.
        **options: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ``lr``, ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> Adagrad(learning_rate=0.5, initial_accumulator_value=0.0, epsilon=0.0).apply(
    ...     [w], [np.array([4.0])])
    >>> w  # 1 - 0.5 * 4 / sqrt(16)
    array([0.5])
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **options: Any,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = _non_negative(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value
        )
        self.epsilon = _non_negative("Adagrad", "epsilon", epsilon)

    def _slot_names(self) -> tuple[str, ...]:
        return ("accumulator",)

    def _initial_slot(self, name: str, param: np.ndarray) -> np.ndarray:
        return np.full_like(param, self.initial_accumulator_value)

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        tmp, den = self._buffer(1, param), self._buffer(2, param)
        acc = slot["accumulator"]
        acc += np.multiply(grad, grad, out=tmp)
        np.add(acc, dtype(self.epsilon), out=den)
        np.sqrt(den, out=den)
        step = np.multiply(grad, s["lr"], out=tmp)
        step /= den
        param -= step

    def _sparse_ok(self) -> bool:
        # Untouched rows move by 0 / sqrt(acc + eps): exactly 0 only if the root is > 0.
        return self.initial_accumulator_value > 0.0 or self.epsilon > 0.0

    def _sparse_update(
        self,
        param: np.ndarray,
        rows: np.ndarray,
        grad_rows: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        acc = slot["accumulator"]
        acc_rows = acc[rows]  # (k, ...)
        acc_rows += grad_rows * grad_rows
        acc[rows] = acc_rows  # repeated rows write the same value
        acc_rows += dtype(self.epsilon)
        np.sqrt(acc_rows, out=acc_rows)
        grad_rows *= s["lr"]
        grad_rows /= acc_rows
        param[rows] -= grad_rows

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Nadam(Optimizer):
    """Nadam (Dozat, 2015): Adam with Nesterov momentum and Keras's momentum schedule.

    With ``t = iterations + 1`` and ``P`` the running product of the ``u`` (1 at the start)::

        u_t = beta_1 * (1 - 0.5 * 0.96**t);   u_next = beta_1 * (1 - 0.5 * 0.96**(t + 1))
        P <- P * u_t
        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g**2
        m_hat = u_next * m / (1 - P * u_next) + (1 - u_t) * g / (1 - P)
        v_hat = v / (1 - beta_2**t)
        w <- w - lr * m_hat / (sqrt(v_hat) + eps)

    State: ``momentum`` (``m``), ``velocity`` (``v``), and the scalar ``u_product`` (``P``).

    Args:
        learning_rate: Float >= 0 or a schedule. Defaults to 0.001.
        beta_1: Decay of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: Decay of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: ``eps`` >= 0. Defaults to 1e-7.
        **options: ``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``name``, ``lr``, ``decay``: see :class:`Optimizer`.

    >>> import numpy as np
    >>> w = np.array([1.0])
    >>> opt = Nadam(learning_rate=0.1)
    >>> opt.apply([w], [np.array([2.0])])
    >>> round(float(w[0]), 6), round(opt.get_state()["u_product"], 6)
    (0.893721, 0.468)
    """

    def __init__(
        self,
        learning_rate: float | LearningRateSchedule = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **options: Any,
    ) -> None:
        super().__init__(learning_rate, **options)
        self.beta_1 = _unit_interval("Nadam", "beta_1", beta_1, closed=False)
        self.beta_2 = _unit_interval("Nadam", "beta_2", beta_2, closed=False)
        self.epsilon = _non_negative("Nadam", "epsilon", epsilon)
        self._u_product = 1.0

    def _slot_names(self) -> tuple[str, ...]:
        return ("momentum", "velocity")

    def _scalar_state(self) -> dict[str, float]:
        return {"u_product": self._u_product}

    def _set_scalar_state(self, values: dict[str, float]) -> None:
        self._u_product = values["u_product"]

    def _u(self, dtype: type[np.floating], t: int) -> np.floating:
        """Keras's momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96**t)``, in ``dtype``."""
        return dtype(self.beta_1) * (dtype(1.0) - dtype(0.5) * dtype(0.96) ** dtype(t))

    def _advance(self, dtype: type[np.floating]) -> None:
        self._u_product = float(dtype(self._u_product) * self._u(dtype, self.iterations + 1))

    def _step_scalars(self, lr: float, dtype: type[np.floating]) -> dict[str, np.floating]:
        s = super()._step_scalars(lr, dtype)
        one, t = dtype(1.0), self.iterations + 1
        u_t, u_next = self._u(dtype, t), self._u(dtype, t + 1)
        product = dtype(self._u_product)  # already includes u_t (see _advance)
        s.update(
            u_next=u_next,
            m_denominator=one - product * u_next,
            g_factor=one - u_t,
            g_denominator=one - product,
            v_denominator=one - dtype(self.beta_2) ** dtype(t),
        )
        return s

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        slot: dict[str, np.ndarray],
        s: dict[str, np.floating],
    ) -> None:
        dtype = param.dtype.type
        tmp, other = self._buffer(1, param), self._buffer(2, param)
        m, v = slot["momentum"], slot["velocity"]
        _update_moments(grad, m, v, self.beta_1, self.beta_2, tmp)
        m_hat = np.multiply(m, s["u_next"], out=tmp)
        m_hat /= s["m_denominator"]
        np.multiply(grad, s["g_factor"], out=other)
        other /= s["g_denominator"]
        m_hat += other
        m_hat *= s["lr"]
        den = np.divide(v, s["v_denominator"], out=other)
        np.sqrt(den, out=den)
        den += dtype(self.epsilon)
        m_hat /= den
        param -= m_hat

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as a JSON-friendly dict, with Keras 3's keys."""
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


_REGISTRY: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls for cls in (SGD, RMSprop, Adam, AdamW, Adagrad, Nadam)
}


def get(
    identifier: str | dict[str, Any] | Optimizer | type[Optimizer] | None,
    *,
    owner: str = "optimizer",
    name: str = "optimizer",
) -> Optimizer | None:
    """Return the optimizer named, described or given by ``identifier``.

    Args:
        identifier: None (returns None); a name, case-insensitive as in Keras (``"adam"``,
            ``"Adam"``, ``"rmsprop"``), giving a new instance with Keras defaults; an
            :class:`Optimizer` instance (returned as is) or class (a new instance with
            its defaults); or a dict
            ``{"class_name": "Adam", "config": {...}}`` as :func:`serialize` and Keras
            write.
        owner: Who asks, for error messages (``"Sequential.compile"``).
        name: The argument being resolved, for error messages.

    Raises:
        ArgumentError: an unknown name or class name.
        ArgumentTypeError: anything else.

    >>> get("Adam").get_config()["learning_rate"]
    0.001
    >>> get({"class_name": "SGD", "config": {"learning_rate": 0.1, "momentum": 0.9}})
    SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        if identifier is Optimizer:
            raise ArgumentTypeError(
                argument_message(owner, name, "a concrete optimizer class", identifier)
            )
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier, owner, name)()
    if isinstance(identifier, Mapping) and isinstance(identifier.get("class_name"), str):
        cls = _lookup(identifier["class_name"], owner, name)
        return cls.from_config(identifier.get("config") or {})
    expected = (
        "None, an optimizer name (" + ", ".join(_REGISTRY) + "), an rnnkit.optimizers "
        "object or a {'class_name': ..., 'config': ...} dict"
    )
    raise ArgumentTypeError(argument_message(owner, name, expected, identifier))


def _lookup(class_name: str, owner: str, name: str) -> type[Optimizer]:
    cls = _REGISTRY.get(class_name.lower())
    if cls is None:
        expected = "one of " + ", ".join(repr(k) for k in _REGISTRY) + " (any case)"
        raise ArgumentError(argument_message(owner, name, expected, class_name))
    return cls


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """Return ``{"class_name": ..., "config": ...}``, readable by :func:`get` and by Keras."""
    return registry.serialize(optimizer)


def names() -> tuple[str, ...]:
    """All registered optimizer names."""
    return tuple(_REGISTRY)
