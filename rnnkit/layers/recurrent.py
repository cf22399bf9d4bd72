"""SimpleRNN, LSTM and GRU: thin layers on one shared recurrent base.

The base does everything the three share: argument checks, input / mask / state
handling, dropout masks, the whole-sequence matrix products (the input projection
before the recurrence; the weight and input gradients after it), outputs under masks,
stateful carry-over, regularizers and constraints. Each subclass names its weights
and calls its kernel pair in :mod:`rnnkit.kernels`.

Layout: arrays enter as ``(batch, time, features)`` and are made time-major
``(T, B, F)`` once; with ``go_backwards`` the time axis is reversed at the same
time, so the kernels always run forward in their own time.

Threads: a call with enough work splits its batch into parts (:meth:`RNNBase._parts`)
that run the whole pipeline side by side on rnnkit's threads
(:mod:`rnnkit.kernels.threads`); dropout masks are drawn for the whole batch first, and
``backward`` adds the parts' weight gradients, so the results are those of one part.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from rnnkit import activations, kernels
from rnnkit import constraints as constraints_module
from rnnkit import initializers as initializers_module
from rnnkit import regularizers as regularizers_module
from rnnkit.errors import (
    ArgumentError,
    ArgumentTypeError,
    NotBuiltError,
    ShapeError,
    argument_message,
    describe,
)
from rnnkit.kernels import threads
from rnnkit.kernels.blas import matmul
from rnnkit.layers.base import Layer
from rnnkit.validation import (
    all_finite,
    check_bool,
    check_choice,
    check_positive_int,
    check_rate,
    check_seed,
    finite_inputs_checked,
)

_NO_MASK = np.zeros((0, 0), dtype=np.bool_)

_CHUNK_BYTES = 1 << 21
"""The recurrence projects its inputs about this many bytes of ``x_t @ W`` at a time
(see :meth:`RNNBase._infer`): small enough to stay in cache while the steps read them."""
_CHUNK_ROWS = 1024
"""... but at least this many rows (steps x batch) per product, which small batches
need to keep the product efficient (LSTM inference at 16x1000x128x512, in-process A/B:
chunks of 64 steps 1.03x faster than whole-sequence, chunks of 16 steps 0.94x)."""


_TRANSPOSE_ROWS = 1024
"""The backward's per-step products read a contiguous copy of ``U^T`` (made once per
backward call) when the call has at least this many rows (steps x batch): BLAS reads it
6-14% faster than ``U`` read transposed (``python benchmarks/blas_step.py --backward``),
but the copy is a strided pass over ``U`` (0.2 ms at 128 units for an LSTM, 4-5 ms at
512; a one-off timing), which a short or small call does not repay. 1,024 is an
estimate of where the copy and a tenth of the per-step product time break even, not a
measured optimum; 64x200 (12,800 rows) is far above it, one step of batch 8 far below."""

_SPLIT_ROWS = 16
"""A call splits its batch across rnnkit's threads in parts of at least this many rows
(:mod:`rnnkit.kernels.threads`); smaller parts make each step's product inefficient."""
_SPLIT_WORK = 1 << 26
"""... when it has at least this much work (steps x batch x gate width x (units +
features): the multiply-adds of its forward products): below it, handing a part to
another thread costs more than it saves. Whole-batch time / split time, training step
and inference, 128 inputs and units (``benchmarks/threads.py --force-split``,
``benchmarks/results/split_threshold.md``, the final thread binding): LSTM 0.90-0.92x
at 17 million multiply-adds, 0.94-1.01x at 34 million, 0.99-1.03x at 67 million,
1.06-1.24x above; with the first binding GRU 0.94-0.98x at 25 million, 1.02-1.04x at 50
million; SimpleRNN 0.94-1.04x at 34 million, 1.04-1.07x at 67 million."""


class _Cache:
    """What a training forward keeps for ``backward``, for one sub-batch of the call.

    ``grads`` is where that sub-batch's weight gradients go, ``backward_kernel`` the
    recurrent kernel its per-step products read, ``(U, False)`` or ``(U^T copy, True)``
    (both set by ``backward``). ``joint_columns``: how many leading columns of the
    recurrent kernel's gradient are left to the kernel gradient's pass (see
    :meth:`RNNBase._recurrent_gradient`).
    """

    __slots__ = (
        "x",
        "mask",
        "input_masks",
        "recurrent_masks",
        "h_all",
        "extra",
        "batch",
        "steps",
        "grads",
        "backward_kernel",
        "joint_columns",
    )


class _CallCache:
    """What a training call keeps: its sub-batches' caches and the returned outputs."""

    __slots__ = ("parts", "outputs", "has_initial_state", "batch")

    def __init__(
        self, parts: list[_Cache], outputs: list[np.ndarray], has_initial_state: bool, batch: int
    ) -> None:
        self.parts = parts
        self.outputs = outputs
        self.has_initial_state = has_initial_state
        self.batch = batch


def _rows_of(masks: np.ndarray | None, rows: slice) -> np.ndarray | None:
    """Dropout masks (G, batch, dim) of some rows of the batch, contiguous."""
    return None if masks is None else np.ascontiguousarray(masks[:, rows])


class RNNBase(Layer):
    """Shared machinery of SimpleRNN, LSTM and GRU (see the subclasses' docstrings).

    Args:
        units: Dimension of the output and of each state.
        activation, recurrent_activation: Names, :mod:`rnnkit.activations` objects or None.
        use_bias: Whether the layer has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: Initializers
            (names, :mod:`rnnkit.initializers` objects or config dicts).
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer:
            :mod:`rnnkit.regularizers` (names, objects, config dicts) or None.
        kernel_constraint, recurrent_constraint, bias_constraint: :mod:`rnnkit.constraints`.
        dropout: Fraction of the input units dropped (one mask per sequence).
        recurrent_dropout: Fraction of the recurrent state dropped where it enters ``@ U``.
        implementation: 1: one dropout mask per gate; 2: one mask shared by all gates.
        seed: Seed of the dropout masks (None: drawn from Python's ``random`` at construction).
        return_sequences: Return the whole output sequence instead of the last output.
        return_state: Also return the final states.
        go_backwards: Process the sequence backwards; the returned sequence is in
            processing order (reversed relative to the input), as in Keras.
        stateful: Final states of a call become the initial states of the next one.
        unroll: Accepted for Keras compatibility; the compiled loop gives the same results.
        zero_output_for_mask: Masked steps output zeros instead of repeating the last output.
        **kwargs: ``name``, ``dtype``, ``trainable``, ``input_shape``,
            ``batch_input_shape``, ``batch_size``, ``input_dim``, ``input_length``.
    """

    _gates = 1
    _state_names: tuple[str, ...] = ("h",)

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "hard_sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        implementation: int = 1,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        input_dim = kwargs.pop("input_dim", None)
        input_length = kwargs.pop("input_length", None)
        if input_dim is not None and "input_shape" not in kwargs:
            kwargs["input_shape"] = (
                input_length,
                check_positive_int(owner, "input_dim", input_dim),
            )
        allowed = {"name", "dtype", "trainable", "input_shape", "batch_input_shape", "batch_size"}
        unknown = sorted(set(kwargs) - allowed)
        if unknown:
            raise ArgumentTypeError(
                f"{owner}: unrecognized keyword argument(s) {', '.join(unknown)}. Valid extra "
                f"arguments: {', '.join(sorted(allowed | {'input_dim', 'input_length'}))}."
            )
        super().__init__(**kwargs)
        self.units = check_positive_int(owner, "units", units)
        self.activation = activations.get(activation, owner=owner)
        self.recurrent_activation = activations.get(recurrent_activation, owner=owner)
        self.use_bias = check_bool(owner, "use_bias", use_bias)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.recurrent_initializer = initializers_module.get(recurrent_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers_module.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers_module.get(recurrent_regularizer)
        self.bias_regularizer = regularizers_module.get(bias_regularizer)
        self.activity_regularizer = regularizers_module.get(activity_regularizer)
        self.kernel_constraint = constraints_module.get(kernel_constraint)
        self.recurrent_constraint = constraints_module.get(recurrent_constraint)
        self.bias_constraint = constraints_module.get(bias_constraint)
        self.dropout = check_rate(owner, "dropout", dropout)
        self.recurrent_dropout = check_rate(owner, "recurrent_dropout", recurrent_dropout)
        if isinstance(implementation, bool):
            raise ArgumentTypeError(
                argument_message(owner, "implementation", "0, 1 or 2", implementation)
            )
        # implementation=0 (old Keras configs) runs the fused path, as in Keras.
        implementation = check_choice(owner, "implementation", implementation, (0, 1, 2))
        self.implementation = 2 if implementation == 0 else int(implementation)
        self.seed = check_seed(owner, "seed", seed)
        self._rng = np.random.default_rng(
            self.seed if self.seed is not None else random.randint(1, int(1e9))
        )
        self.return_sequences = check_bool(owner, "return_sequences", return_sequences)
        self.return_state = check_bool(owner, "return_state", return_state)
        self.go_backwards = check_bool(owner, "go_backwards", go_backwards)
        self.stateful = check_bool(owner, "stateful", stateful)
        self.unroll = check_bool(owner, "unroll", unroll)
        self.zero_output_for_mask = check_bool(owner, "zero_output_for_mask", zero_output_for_mask)
        self.input_dim: int | None = None
        self.states: list[np.ndarray] | None = None

    # ------------------------------------------------------------------- building
    @property
    def _exact(self) -> bool:
        # float64 runs exact tanh / sigmoid; float32 the vectorized approximation.
        return self.dtype == np.float64

    @property
    def _owner(self) -> str:
        return f"{type(self).__name__} '{self.name}'"

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Create ``kernel``, ``recurrent_kernel`` and ``bias`` for ``(batch, time, features)``."""
        shape = tuple(input_shape)
        if len(shape) != 3 or shape[-1] is None:
            raise ShapeError(
                f"{self._owner} expects input of shape (batch, time, features); got {shape}. "
                "Add a feature axis, or put an Embedding layer first."
            )
        features = check_positive_int(self._owner, "features (last input axis)", shape[-1])
        n, width = self.units, self._gates * self.units
        self.params.clear()
        self.grads.clear()
        self._regularizers.clear()
        self._constraints.clear()
        self.add_weight(
            "kernel",
            (features, width),
            self.kernel_initializer,
            self.kernel_regularizer,
            self.kernel_constraint,
        )
        self.add_weight(
            "recurrent_kernel",
            (n, width),
            self.recurrent_initializer,
            self.recurrent_regularizer,
            self.recurrent_constraint,
        )
        if self.use_bias:
            self.add_weight(
                "bias",
                self._bias_shape(),
                self._bias_init(),
                self.bias_regularizer,
                self.bias_constraint,
            )
        self.input_dim = features
        if self.stateful and shape[0] is not None and self.states is None:
            # States set by reset_states(states) before the first call are kept.
            self.states = self._zero_states(check_positive_int(self._owner, "batch size", shape[0]))
        self.built = True

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._gates * self.units,)

    supports_masking = True

    def compute_mask(self, inputs: Any, mask: np.ndarray | None) -> np.ndarray | None:
        """The input mask with ``return_sequences``, else None.

        As in Keras, the mask is passed on unchanged even with ``go_backwards`` (whose
        returned sequence is reversed).
        """
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None for _ in self._state_names]
        return output_mask

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> Any:
        """``(batch, units)`` or ``(batch, time, units)``; a list with ``return_state``."""
        batch, steps = input_shape[0], input_shape[1]
        output = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return output
        return [output] + [(batch, self.units) for _ in self._state_names]

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def _zero_states(self, batch: int) -> list[np.ndarray]:
        return [np.zeros((batch, self.units), self.dtype) for _ in self._state_names]

    def reset_states(self, states: Any = None) -> None:
        """Reset the states of a stateful layer to zeros, or to the given arrays.

        Args:
            states: None (zeros, batch size unchanged), or one array / a list of arrays
                of shape ``(batch, units)``, one per state (LSTM: ``[h, c]``), all of one
                batch size, which becomes the layer's: the way to run a stateful layer
                on batches of another size (given before the first call, they are the
                states it starts from).
        """
        if not self.stateful:
            raise NotBuiltError(f"{self._owner}: reset_states() needs stateful=True.")
        if states is None:
            if self.states is not None:
                for s in self.states:
                    s[...] = 0.0
            return
        self.states = [a.copy() for a in self._checked_states(states)]

    def _checked_states(self, states: Any) -> list[np.ndarray]:
        """``reset_states``'s argument as arrays of the layer's dtype, one batch size."""
        items = list(states) if isinstance(states, (list, tuple)) else [states]
        first = np.asarray(items[0]) if items else None
        batch = first.shape[0] if first is not None and first.ndim == 2 else None
        return self._as_state_list("states", states, batch)

    def _as_state_list(self, what: str, states: Any, batch: int | None = None) -> list[np.ndarray]:
        items = list(states) if isinstance(states, (list, tuple)) else [states]
        count = len(self._state_names)
        if len(items) != count:
            raise ArgumentError(
                f"{self._owner}: `{what}` must be a list of {count} array(s) "
                f"({', '.join(self._state_names)}), each (batch, {self.units}); got {len(items)}."
            )
        arrays = []
        for name, item in zip(self._state_names, items, strict=True):
            a = np.asarray(item)
            if (
                a.ndim != 2
                or a.shape[1] != self.units
                or (batch is not None and a.shape[0] != batch)
            ):
                expected = f"({batch if batch is not None else 'batch'}, {self.units})"
                raise ShapeError(
                    f"{self._owner}: state '{name}' in `{what}` must have shape {expected}; "
                    f"got {a.shape}."
                )
            if not np.issubdtype(a.dtype, np.number) or not np.all(np.isfinite(a)):
                raise ArgumentError(argument_message(self._owner, what, "finite numbers", a))
            arrays.append(np.ascontiguousarray(a, dtype=self.dtype))
        return arrays

    # ------------------------------------------------------------------- dropout
    def _dropout_masks(
        self, batch: int, features: int
    ) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Draw this call's dropout masks: ``(input_masks, recurrent_masks)``.

        Each is None (no dropout) or an array ``(G, batch, dim)``, G = the number of
        gates with ``implementation=1`` and 1 otherwise, holding 0 or ``1 / (1 - rate)``.
        """
        count = self._gates if self.implementation == 1 else 1

        def draw(rate: float, dim: int) -> np.ndarray | None:
            if rate <= 0.0:
                return None
            # float32 uniforms (also for float64 layers): the draw takes a third of the
            # time of float64 ones, and 2^-24 steps are fine enough for a keep/drop test.
            keep = self._rng.random((count, batch, dim), dtype=np.float32) >= np.float32(rate)
            return keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - rate))

        return draw(self.dropout, features), draw(self.recurrent_dropout, self.units)

    # ----------------------------------------------------------------- call
    def __call__(
        self,
        inputs: Any,
        training: bool = False,
        mask: Any = None,
        initial_state: Any = None,
    ) -> np.ndarray | list[np.ndarray]:
        """Run the layer.

        Args:
            inputs: ``(batch, time, features)``.
            training: Apply dropout and keep what ``backward`` needs.
            mask: Bool ``(batch, time)``, True where a step is valid.
            initial_state: One array / a list of arrays ``(batch, units)`` (LSTM: ``[h, c]``).

        Returns:
            ``(batch, units)``, or ``(batch, time, units)`` with ``return_sequences``;
            with ``return_state`` a list ``[output, *final_states]``.
        """
        x = self._check_inputs(inputs)
        batch, steps, features = x.shape
        training = False if training is None else check_bool(self._owner, "training", training)
        time_mask = self._check_mask(mask, batch, steps)
        has_initial_state = initial_state is not None
        if self.stateful and self.states is not None and self.states[0].shape[0] != batch:
            raise ShapeError(
                f"{self._owner} is stateful with batch size {self.states[0].shape[0]}; got a "
                f"batch of {batch}. Feed batches of one size (drop the last partial batch), "
                f"or first set states for {batch} rows: reset_states(states)."
            )
        if has_initial_state:
            states0 = self._as_state_list("initial_state", initial_state, batch)
        elif self.stateful:
            if self.states is None:
                self.states = self._zero_states(batch)
            states0 = self.states
        else:
            states0 = self._zero_states(batch)

        given = x
        x = x[:, ::-1] if self.go_backwards else x  # in processing order
        if time_mask is not None:
            time_mask = np.ascontiguousarray(
                (time_mask[:, ::-1] if self.go_backwards else time_mask).T
            )
        draws = training and (self.dropout > 0.0 or self.recurrent_dropout > 0.0)
        rng_state = self._rng.bit_generator.state if draws else None
        if training:
            input_masks, recurrent_masks = self._dropout_masks(batch, features)
        else:
            input_masks, recurrent_masks = None, None

        n = self.units
        output = np.empty((batch, steps, n) if self.return_sequences else (batch, n), self.dtype)
        final_states = [np.empty((batch, n), self.dtype) for _ in self._state_names]

        check_finite = finite_inputs_checked()  # read here: the parts run on other threads

        def run(start: int, stop: int) -> _Cache | None:
            rows = slice(start, stop)
            # Checked here, a part of the batch on each core (half a millisecond at
            # 64x200x128 when one core checks it all).
            if check_finite:
                self._check_finite(given[rows])
            return self._run_rows(
                x[rows],
                [s[rows] for s in states0],
                _rows_of(input_masks, rows),
                _rows_of(recurrent_masks, rows),
                None if time_mask is None else np.ascontiguousarray(time_mask[:, rows]),
                training,
                output[rows],
                [s[rows] for s in final_states],
                len(parts),
            )

        parts = self._parts(batch, steps)
        try:
            caches = threads.parallel([partial(run, start, stop) for start, stop in parts])
        except ArgumentError:
            if rng_state is not None:  # a refused call leaves the dropout stream as it was
                self._rng.bit_generator.state = rng_state
            raise
        outputs = [output] + ([s.copy() for s in final_states] if self.return_state else [])
        if self.stateful:
            self.states = final_states
        self._activity_losses = []
        if self.activity_regularizer is not None:
            # One term per returned tensor, divided by the batch size (Keras 2, Keras >= 3.14).
            self._activity_losses = [float(self.activity_regularizer(o)) / batch for o in outputs]
        if training:
            self._cache = _CallCache(caches, outputs, has_initial_state, batch)
        else:
            self._cache = None
        return outputs if self.return_state else outputs[0]

    def _parts(self, batch: int, steps: int) -> list[tuple[int, int]]:
        """The sub-batches one call runs side by side (:mod:`rnnkit.kernels.threads`)."""
        work = steps * batch * self._gates * self.units * (self.units + self.input_dim)
        if work < _SPLIT_WORK:
            return [(0, batch)]
        return threads.split(batch, _SPLIT_ROWS)

    def _run_rows(
        self,
        x: np.ndarray,
        states0: list[np.ndarray],
        input_masks: np.ndarray | None,
        recurrent_masks: np.ndarray | None,
        time_mask: np.ndarray | None,
        training: bool,
        output: np.ndarray,
        final_states: list[np.ndarray],
        share: int,
    ) -> _Cache | None:
        """Run some rows of the batch: write their output and final states.

        ``share``: how many parts of the batch run side by side (they share the chunk
        budget). Returns what ``backward`` needs for these rows (None when not training).
        """
        batch, steps, _ = x.shape
        if training:
            xt = np.ascontiguousarray(x.transpose(1, 0, 2))  # time-major (T, B, F)
            h_all, extra = self._forward(
                xt, states0, input_masks, recurrent_masks, time_mask, share
            )
        else:
            h_all, extra = self._infer(x, states0, time_mask, share)
        carried = [h_all[-1], *self._final_carry(extra, steps)]
        for target, state in zip(final_states, carried, strict=True):
            target[...] = state
        self._assemble_output(h_all, time_mask, output)
        if not training:
            return None
        cache = _Cache()
        cache.x = xt
        cache.mask = time_mask
        cache.input_masks = input_masks
        cache.recurrent_masks = recurrent_masks
        cache.h_all = h_all
        cache.extra = extra
        cache.batch = batch
        cache.steps = steps
        cache.joint_columns = 0
        return cache

    def _check_inputs(self, inputs: Any) -> np.ndarray:
        try:
            x = np.asarray(inputs)
        except (TypeError, ValueError) as error:
            raise ArgumentTypeError(
                argument_message(self._owner, "inputs", "a numeric array", inputs)
            ) from error
        if x.ndim != 3:
            raise ShapeError(
                f"{self._owner} expects input of shape (batch, time, features); got {x.shape}. "
                + ("Add a feature axis, or put an Embedding layer first." if x.ndim == 2 else "")
            )
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
            raise ArgumentTypeError(argument_message(self._owner, "inputs", "a numeric array", x))
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise ShapeError(
                f"{self._owner}: input must have at least one sample and one time step; "
                f"got {x.shape}."
            )
        if not self.built:
            self.build(x.shape)
        elif x.shape[-1] != self.input_dim:
            raise ShapeError(
                f"{self._owner} was built for {self.input_dim} input features; got input of shape "
                f"{x.shape} with {x.shape[-1]}."
            )
        with np.errstate(over="ignore"):  # beyond the dtype's range: inf, refused by the parts
            return np.asarray(x, dtype=self.dtype)

    def _check_finite(self, x: np.ndarray) -> None:
        """Refuse NaN and infinity; each part of a split call checks its own rows."""
        if not all_finite(x):
            raise ArgumentError(
                f"{self._owner}: inputs contain NaN or infinity; clean the data first."
            )

    def _check_mask(self, mask: Any, batch: int, steps: int) -> np.ndarray | None:
        if mask is None:
            return None
        m = np.asarray(mask)
        if m.shape != (batch, steps):
            raise ShapeError(
                f"{self._owner}: mask must have shape (batch, time) = {(batch, steps)}; "
                f"got {m.shape}."
            )
        if m.dtype != np.bool_:
            if not np.issubdtype(m.dtype, np.number) or not np.isin(m, (0, 1)).all():
                raise ArgumentError(argument_message(self._owner, "mask", "booleans (or 0/1)", m))
            m = m.astype(np.bool_)
        return None if m.all() else m

    def _chunk_steps(self, batch: int, steps: int, share: int = 1) -> int:
        """Steps per chunk: about :data:`_CHUNK_BYTES` / ``share`` of input projections.

        ``share`` parts of a batch running side by side split the budget (and the
        minimum rows): each works in its own core's cache. LSTM inference, in-process
        A/B at 64x200x128x128 and 32x80x128x128 split in two: a half budget per part
        1.03-1.05x faster than the whole, a quarter 1.05-1.06x (one run, not kept).
        """
        width = self.params["kernel"].shape[1]
        budget, min_rows = _CHUNK_BYTES // share, _CHUNK_ROWS // share
        chunk = max(budget // (batch * width * self.dtype.itemsize), -(-min_rows // batch))
        return max(1, min(steps, chunk))

    def _forward(
        self,
        xt: np.ndarray,
        states0: list[np.ndarray],
        input_masks: np.ndarray | None,
        recurrent_masks: np.ndarray | None,
        time_mask: np.ndarray | None,
        share: int = 1,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The training recurrence over ``xt`` (T, B, F): ``(h_all, saved buffers)``.

        ``h_all`` is (T+1, B, n) with the initial state at index 0. The buffers hold what
        ``backward`` needs: the input projections ``x_t @ W`` (T, B, G*n), overwritten
        with the activated gates, under ``"gates"``, and the family's own (see
        :meth:`_buffers`). The projections of a chunk of steps are made just before the
        recurrence reads them, while they are in cache (as :meth:`_infer`).
        """
        steps, batch, features = xt.shape
        kernel = self.params["kernel"]
        projection = np.empty((steps, batch, kernel.shape[1]), self.dtype)
        h_all = np.empty((steps + 1, batch, self.units), self.dtype)
        h_all[0] = states0[0]
        buffers = self._buffers(states0, steps, batch, training=True)
        chunk = self._chunk_steps(batch, steps, share)
        for start in range(0, steps, chunk):
            stop = min(start + chunk, steps)
            part = projection[start:stop]
            flat_part = part.reshape(-1, part.shape[2])
            if input_masks is not None and input_masks.shape[0] > 1:  # one mask per gate
                flat_x = xt[start:stop].reshape(-1, features)
                kernels.masked_product(
                    flat_x, kernel, input_masks, flat_part, kernels.dropout.BLOCK_ROWS
                )
            else:
                x_part = xt[start:stop] if input_masks is None else xt[start:stop] * input_masks[0]
                matmul(x_part.reshape(-1, features), kernel, out=flat_part)
            views = dict(buffers)
            for name, extra_row in self._step_buffers.items():
                views[name] = buffers[name][start : stop + extra_row]
            self._recur(
                part,
                h_all[start : stop + 1],
                recurrent_masks,
                None if time_mask is None else time_mask[start:stop],
                views,
            )
        buffers["gates"] = projection
        return h_all, buffers

    def _infer(
        self,
        x: np.ndarray,
        states0: list[np.ndarray],
        time_mask: np.ndarray | None,
        share: int = 1,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The inference recurrence over ``x`` (B, T, F), a chunk of steps at a time.

        Making the whole sequence time-major and projecting it first would write
        (T, B, G*n) values to memory and read them back one step at a time. A chunk of
        about :data:`_CHUNK_BYTES` of projections is made time-major, projected and
        consumed while it is in cache (``benchmarks/chunking.py`` measures the gain).
        Without ``return_sequences`` only one chunk of states is kept. The results are
        those of one whole-sequence product.

        Returns:
            ``(h, buffers)``: ``h[-1]`` is the final state; with ``return_sequences``
            ``h`` is (T+1, B, n) with the initial state at index 0.
        """
        batch, steps, features = x.shape
        kernel = self.params["kernel"]
        width = kernel.shape[1]
        chunk = self._chunk_steps(batch, steps, share)
        keep = self.return_sequences
        h_all = np.empty(((steps if keep else chunk) + 1, batch, self.units), self.dtype)
        h_all[0] = states0[0]
        buffers = self._buffers(states0, chunk, batch, training=False)
        x_chunk = np.empty((chunk, batch, features), self.dtype)
        projection = np.empty((chunk * batch, width), self.dtype)
        for start in range(0, steps, chunk):
            length = min(chunk, steps - start)
            np.copyto(x_chunk[:length], x[:, start : start + length].transpose(1, 0, 2))
            part = projection[: length * batch]
            matmul(x_chunk[:length].reshape(-1, features), kernel, out=part)
            h = h_all[start : start + length + 1] if keep else h_all[: length + 1]
            self._recur(
                part.reshape(length, batch, width),
                h,
                None,
                None if time_mask is None else time_mask[start : start + length],
                buffers,
            )
            if not keep:
                h_all[0] = h[length]  # the next chunk starts from row 0
        return (h_all if keep else h_all[:1]), buffers

    def _assemble_output(
        self, h_all: np.ndarray, time_mask: np.ndarray | None, output: np.ndarray
    ) -> None:
        """Write the returned output (batch-major) from the states ``h_all``."""
        if not self.return_sequences:
            output[...] = h_all[-1]
            if time_mask is not None:
                # The last output is the final state where the row's last step produced
                # it: its last step (zero_output_for_mask), else any step; zeros otherwise.
                carries = time_mask[-1] if self.zero_output_for_mask else time_mask.any(0)
                output[~carries] = 0.0
        elif time_mask is None:
            output[...] = h_all[1:].transpose(1, 0, 2)
        else:
            sequence_tm = np.empty_like(h_all[1:])
            kernels.masked_outputs(h_all, time_mask, self.zero_output_for_mask, sequence_tm)
            output[...] = sequence_tm.transpose(1, 0, 2)

    # ----------------------------------------------------------------- backward
    def backward(
        self, d_outputs: Any, *, input_gradient: bool = True
    ) -> np.ndarray | list[np.ndarray] | None:
        """Backpropagate through the last training call.

        Args:
            d_outputs: Gradient of the loss with respect to the outputs, shaped like them
                (a list when the layer returned a list).
            input_gradient: Compute the gradient with respect to the inputs. A first
                layer fed with data does not need it; skipping it saves one of the four
                whole-sequence matrix products.

        Returns:
            The gradient with respect to the inputs ``(batch, time, features)`` (None
            with ``input_gradient=False``), or ``[d_inputs, *d_initial_states]`` when the
            call got ``initial_state``. Weight gradients (regularization penalties
            included) are then in :meth:`get_gradients`.

        One backward per training call: it uses up what the call saved (the LSTM
        writes its gate gradients over the saved gates).
        """
        cache = self._cache
        if cache is None:
            raise NotBuiltError(
                f"{self._owner}: backward() needs a preceding call with training=True "
                "(once per call: a backward uses up what its call saved)."
            )
        grads = self._check_output_gradients(d_outputs, cache)
        self._cache = None
        if self.activity_regularizer is not None:
            grads = [
                g + self.activity_regularizer.gradient(o).astype(self.dtype) / cache.batch
                for g, o in zip(grads, cache.outputs, strict=True)
            ]
        first = cache.parts[0]
        steps, features = first.steps, first.x.shape[2]
        recurrent = self.params["recurrent_kernel"]
        if steps * cache.batch >= _TRANSPOSE_ROWS:  # one copy, shared by the parts
            backward_kernel = (np.ascontiguousarray(recurrent.T), True)
        else:
            backward_kernel = (recurrent, False)
        for part in cache.parts:
            part.backward_kernel = backward_kernel
        d_x = np.empty((cache.batch, steps, features), self.dtype) if input_gradient else None
        d_initial = [np.empty((cache.batch, self.units), self.dtype) for _ in self._state_names]

        def run(index: int, start: int, stop: int) -> dict[str, np.ndarray]:
            part = cache.parts[index]
            # The first part writes the layer's gradients; the others their own, added after.
            part.grads = (
                self.grads if index == 0 else {k: np.empty_like(v) for k, v in self.grads.items()}
            )
            rows = slice(start, stop)
            d_part, d_states = self._backward_rows(part, [g[rows] for g in grads], input_gradient)
            if d_x is not None:
                d_rows = d_part.transpose(1, 0, 2)  # batch-major, in processing order
                d_x[rows] = d_rows[:, ::-1] if self.go_backwards else d_rows
            for target, d_state in zip(d_initial, d_states, strict=True):
                target[rows] = d_state
            return part.grads

        bounds = np.cumsum([0] + [part.batch for part in cache.parts])
        tasks = [partial(run, i, bounds[i], bounds[i + 1]) for i in range(len(cache.parts))]
        for part_grads in threads.parallel(tasks)[1:]:
            for key, value in part_grads.items():
                self.grads[key] += value
        self._add_regularizer_gradients()
        if cache.has_initial_state:
            return [d_x, *d_initial]
        return d_x

    def _backward_rows(
        self, cache: _Cache, grads: list[np.ndarray], input_gradient: bool
    ) -> tuple[np.ndarray | None, list[np.ndarray]]:
        """Backpropagate some rows: ``(d_x time-major or None, d_initial_states)``.

        Weight gradients go to ``cache.grads``.
        """
        steps, batch, n = cache.steps, cache.batch, self.units
        mask = cache.mask
        d_final = (
            [g.copy() for g in grads[1:]]
            if self.return_state
            else [np.zeros((batch, n), self.dtype) for _ in self._state_names]
        )
        if self.return_sequences:
            d_seq = np.ascontiguousarray(grads[0].transpose(1, 0, 2))  # (T, B, n)
            if mask is not None:
                d_hs = np.empty_like(d_seq)
                kernels.masked_outputs_backward(d_seq, mask, self.zero_output_for_mask, d_hs)
            else:
                d_hs = d_seq
        else:
            d_hs = np.zeros((0, 0, 0), self.dtype)
            d_last = grads[0]
            if mask is not None:
                # The last output is the final h for rows whose last valid step produced it.
                carries = mask[steps - 1] if self.zero_output_for_mask else mask.any(axis=0)
                d_last = d_last * carries[:, None]
            d_final[0] += d_last
        d_proj, d_initial = self._backward(cache, d_hs, d_final)
        return self._kernel_and_input_gradients(cache, d_proj, input_gradient), d_initial

    def _check_output_gradients(self, d_outputs: Any, cache: _CallCache) -> list[np.ndarray]:
        expected = cache.outputs
        items = list(d_outputs) if isinstance(d_outputs, (list, tuple)) else [d_outputs]
        if len(items) != len(expected):
            raise ArgumentError(
                f"{self._owner}: backward expects {len(expected)} "
                f"gradient array(s), one per output; got {len(items)}."
            )
        grads = []
        for g, o in zip(items, expected, strict=True):
            a = np.asarray(g, dtype=self.dtype)
            if a.shape != o.shape:
                raise ShapeError(
                    f"{self._owner}: output gradient must have shape {o.shape}; got {describe(g)}."
                )
            grads.append(a)
        return grads

    def _kernel_and_input_gradients(
        self, cache: _Cache, d_proj: np.ndarray, input_gradient: bool
    ) -> np.ndarray | None:
        """Whole-sequence products: d kernel and (optionally) d x (T, B, F).

        Under per-gate input masks they come from one pass over ``d_proj``'s rows, which
        also makes the recurrent kernel's gradient of the columns
        :meth:`_recurrent_gradient` left to it (``cache.joint_columns``).
        """
        steps, batch, features = cache.x.shape
        kernel = self.params["kernel"]
        d_kernel = cache.grads["kernel"]
        flat_dp = d_proj.reshape(steps * batch, -1)
        masks = cache.input_masks
        d_x = None
        if masks is None or masks.shape[0] == 1:
            xm = cache.x if masks is None else cache.x * masks[0]
            matmul(xm.reshape(steps * batch, features).T, flat_dp, out=d_kernel)
            if input_gradient:
                d_x = matmul(flat_dp, kernel.T).reshape(steps, batch, features)
                if masks is not None:
                    d_x *= masks[0]
            return d_x
        flat_x = cache.x.reshape(steps * batch, features)
        joint = cache.joint_columns
        if joint:  # the recurrent kernel's gradient of those columns, in the same pass
            n = self.units
            flat_h = cache.h_all[:steps].reshape(steps * batch, n)
            h_masks = cache.recurrent_masks[: joint // n]
            d_u = cache.grads["recurrent_kernel"][:, :joint]
        else:
            flat_h, h_masks, d_u = flat_x, masks[:0], d_kernel
        d_x = np.empty((steps if input_gradient else 0, batch, features), self.dtype)
        kernels.masked_gradients(
            flat_x,
            flat_h,
            flat_dp,
            masks,
            h_masks,
            kernel,
            d_kernel,
            d_u,
            d_x.reshape(-1, features),
            kernels.dropout.BLOCK_ROWS,
        )
        return d_x if input_gradient else None

    def _recurrent_gradient(
        self,
        cache: _Cache,
        d_rec: np.ndarray,
        start: int = 0,
        left: np.ndarray | None = None,
        *,
        kernel_columns: bool = False,
    ) -> None:
        """D recurrent_kernel[:, start:start + width] = sum over steps of left^T @ d_rec.

        ``d_rec`` (T, B, width) is the gradient at the recurrent products of those
        columns (a view into a wider array is fine). ``left`` is their left factor,
        by default ``h_{t-1}`` under the recurrent dropout masks of those gates; a
        given ``left`` (GRU's ``r * h_{t-1} * m_h``) is used as it is.

        ``kernel_columns``: ``d_rec`` is also the gradient at the input projection's
        leading columns ``0:width`` (LSTM: every gate; GRU: z and r). When both kinds
        of dropout have one mask per gate, the product is then left to
        :meth:`_kernel_and_input_gradients`, which makes it with the kernel's gradient
        in one pass over the rows (:func:`rnnkit.kernels.dropout.masked_gradients`).
        """
        steps, batch, n = cache.steps, cache.batch, self.units
        width = d_rec.shape[-1]
        masks = None if left is not None else cache.recurrent_masks
        per_gate = masks is not None and masks.shape[0] > 1
        input_masks = cache.input_masks
        joint = kernel_columns and start == 0 and per_gate
        if joint and input_masks is not None and input_masks.shape[0] > 1:
            cache.joint_columns = width
            return
        d_u = cache.grads["recurrent_kernel"][:, start : start + width]
        d_flat = d_rec.reshape(steps * batch, width)  # a view, even for a column block
        if left is None:
            left = cache.h_all[:steps]
        flat_left = left.reshape(steps * batch, left.shape[2])
        if per_gate:
            gates = slice(start // n, (start + width) // n)
            no_input_gradient = flat_left[:0]
            kernels.masked_gradients(
                flat_left,
                flat_left,
                d_flat,
                masks[gates],
                masks[:0],
                d_u,
                d_u,
                d_u,
                no_input_gradient,
                kernels.dropout.BLOCK_ROWS,
            )
            return
        if masks is not None:
            flat_left = (left * masks[0]).reshape(steps * batch, n)
        matmul(flat_left.T, d_flat, out=d_u)

    def _bias_vector(self) -> np.ndarray:
        bias = self.params.get("bias")
        return bias if bias is not None else np.zeros(self._gates * self.units, self.dtype)

    # ----------------------------------------------------------------- family hooks
    _step_buffers: dict[str, int] = {}
    """Training buffers indexed by step (name -> rows beyond the steps: 1 where the
    initial state sits at index 0), cut to each chunk's steps by :meth:`_forward`."""

    def _buffers(
        self, states0: list[np.ndarray], steps: int, batch: int, training: bool
    ) -> dict[str, np.ndarray]:
        """The family's buffers for ``steps`` steps.

        Training: what ``backward`` needs. Inference: one chunk's scratch and the
        states beyond ``h`` carried from chunk to chunk.
        """
        return {}

    def _recur(self, projection, h_all, recurrent_masks, time_mask, buffers):  # pragma: no cover
        """Run the kernel over ``projection`` (T, B, G*n), writing ``h_all[1:]``.

        ``h_all[0]`` holds the state before the first step; ``time_mask`` is (T, B) or
        None. Both passes call it once per chunk of steps: training with the chunk's
        views of the per-step buffers (:attr:`_step_buffers`), inference with the same
        chunk-sized ``buffers`` each time, which must carry the other states from one
        chunk to the next.
        """
        raise NotImplementedError

    def _final_carry(self, buffers: dict[str, np.ndarray], steps: int) -> list[np.ndarray]:
        """The final states after ``h`` (LSTM: ``[c]``)."""
        return []

    def _backward(self, cache, d_hs, d_final):  # pragma: no cover
        raise NotImplementedError

    # ----------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            self._config_of(
                "units",
                "activation",
                "use_bias",
                "kernel_initializer",
                "recurrent_initializer",
                "bias_initializer",
                "kernel_regularizer",
                "recurrent_regularizer",
                "bias_regularizer",
                "activity_regularizer",
                "kernel_constraint",
                "recurrent_constraint",
                "bias_constraint",
                "dropout",
                "recurrent_dropout",
                "seed",
                "return_sequences",
                "return_state",
                "go_backwards",
                "stateful",
                "unroll",
                "zero_output_for_mask",
            )
        )
        return config


def _empty_masks(masks: np.ndarray | None, batch: int, n: int, dtype: np.dtype) -> np.ndarray:
    return np.zeros((0, batch, n), dtype) if masks is None else masks


class SimpleRNN(RNNBase):
    """Fully-connected RNN whose output is fed back as the next input.

    Equations (``m`` = recurrent dropout mask)::

        h_t = activation(x_t @ kernel + bias + (h_{t-1} * m) @ recurrent_kernel)

    Weights: ``kernel`` (features, units), ``recurrent_kernel`` (units, units),
    ``bias`` (units,). Arguments as :class:`RNNBase` (no ``recurrent_activation``).

    >>> import numpy as np
    >>> layer = SimpleRNN(4, return_sequences=True)
    >>> layer(np.ones((2, 5, 3))).shape
    (2, 5, 4)
    """

    _gates = 1
    _state_names = ("h",)

    def __init__(self, units: int, activation: Any = "tanh", **kwargs: Any) -> None:
        if "recurrent_activation" in kwargs:
            raise ArgumentTypeError(
                "SimpleRNN: unrecognized keyword argument recurrent_activation "
                "(SimpleRNN has no gates)."
            )
        if "implementation" in kwargs:
            raise ArgumentTypeError(
                "SimpleRNN: unrecognized keyword argument implementation (it has a single gate)."
            )
        super().__init__(units, activation=activation, **kwargs)

    def _recur(self, projection, h_all, recurrent_masks, time_mask, buffers):
        kernels.simple_rnn_forward(
            projection,
            self.params["recurrent_kernel"],
            self._bias_vector(),
            _empty_masks(recurrent_masks, projection.shape[1], self.units, self.dtype),
            _NO_MASK if time_mask is None else time_mask,
            self.activation.code,
            self._exact,
            h_all,
        )

    def _backward(self, cache, d_hs, d_final):
        batch, n = cache.batch, self.units
        d_h = np.ascontiguousarray(d_final[0])
        # The backward reads only the states: the saved projections take the gradient
        # (no second (T, B, n) buffer while the cache is alive).
        d_a = cache.extra["gates"]
        d_bias = np.empty(n, self.dtype)
        kernels.simple_rnn_backward(
            cache.h_all,
            *cache.backward_kernel,
            _empty_masks(cache.recurrent_masks, batch, n, self.dtype),
            _NO_MASK if cache.mask is None else cache.mask,
            self.activation.code,
            d_hs,
            d_h,
            d_a,
            d_bias,
        )
        self._recurrent_gradient(cache, d_a)
        if self.use_bias:
            cache.grads["bias"][...] = d_bias
        return d_a, [d_h]


class LSTM(RNNBase):
    """Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997).

    Gate order i, f, c, o in every weight. With ``σ = recurrent_activation``,
    ``act = activation`` and ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``::

        i = σ(z_i)    f = σ(z_f)    g = act(z_c)    o = σ(z_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * act(c_t)

    Weights: ``kernel`` (features, 4·units), ``recurrent_kernel`` (units, 4·units),
    ``bias`` (4·units,). States ``[h, c]``.

    Args:
        unit_forget_bias: Initialize the forget-gate block of the bias to exactly 1.0
            (the other blocks use ``bias_initializer``).
        Other arguments as :class:`RNNBase`; ``recurrent_activation`` defaults to
        ``"hard_sigmoid"`` (Keras 2).

    >>> import numpy as np
    >>> out, h, c = LSTM(3, return_state=True)(np.ones((2, 4, 5)))
    >>> out.shape, c.shape
    ((2, 3), (2, 3))
    """

    _gates = 4
    _state_names = ("h", "c")
    _step_buffers = {"c_all": 1, "act_c": 0}

    def __init__(self, units: int, *, unit_forget_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = check_bool(
            type(self).__name__, "unit_forget_bias", unit_forget_bias
        )

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        base = self.bias_initializer
        n = self.units

        class _UnitForget(initializers_module.Initializer):
            def __call__(self, shape: Any, dtype: Any = "float32") -> np.ndarray:
                return np.concatenate(
                    [base((n,), dtype=dtype), np.ones((n,), dtype), base((2 * n,), dtype=dtype)]
                )

        return _UnitForget()

    def _buffers(self, states0, steps, batch, training):
        n = self.units
        # Inference keeps no cell states or act(c) per step: two rows of c in turn.
        c_all = np.empty((steps + 1 if training else 2, batch, n), self.dtype)
        c_all[0] = states0[1]
        return {"c_all": c_all, "act_c": np.empty((steps if training else 0, batch, n), self.dtype)}

    def _recur(self, projection, h_all, recurrent_masks, time_mask, buffers):
        steps, batch, _ = projection.shape
        c_all = buffers["c_all"]
        kernels.lstm_forward(
            projection,
            self.params["recurrent_kernel"],
            self._bias_vector(),
            _empty_masks(recurrent_masks, batch, self.units, self.dtype),
            _NO_MASK if time_mask is None else time_mask,
            self.activation.code,
            self.recurrent_activation.code,
            self._exact,
            h_all,
            c_all,
            buffers["act_c"],
        )
        if buffers["act_c"].shape[0] == 0 and steps % 2:
            c_all[0] = c_all[1]  # inference: the next chunk starts from row 0

    def _final_carry(self, buffers, steps):
        training = buffers["act_c"].shape[0] > 0
        return [buffers["c_all"][steps if training else 0]]

    def _backward(self, cache, d_hs, d_final):
        batch, n = cache.batch, self.units
        extra = cache.extra
        d_h = np.ascontiguousarray(d_final[0])
        d_c = np.ascontiguousarray(d_final[1])
        d_a = extra["gates"]  # overwritten step by step: no second (T, B, 4n) buffer
        d_bias = np.empty(4 * n, self.dtype)
        kernels.lstm_backward(
            extra["gates"],
            extra["c_all"],
            extra["act_c"],
            *cache.backward_kernel,
            _empty_masks(cache.recurrent_masks, batch, n, self.dtype),
            _NO_MASK if cache.mask is None else cache.mask,
            self.activation.code,
            self.recurrent_activation.code,
            d_hs,
            d_h,
            d_c,
            d_a,
            d_bias,
        )
        self._recurrent_gradient(cache, d_a, kernel_columns=True)
        if self.use_bias:
            cache.grads["bias"][...] = d_bias
        return d_a, [d_h, d_c]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            recurrent_activation=self.recurrent_activation.name,
            unit_forget_bias=self.unit_forget_bias,
            implementation=self.implementation,
        )
        return config


class GRU(RNNBase):
    """Gated Recurrent Unit (Cho et al., 2014), both Keras variants.

    Gate order z, r, h in every weight; ``σ = recurrent_activation``. With
    ``x = x_t @ kernel + b_x``::

        reset_after=False (default, Keras 2; bias (3·units,), b_x = bias):
            z = σ(x_z + h_{t-1} @ U_z)     r = σ(x_r + h_{t-1} @ U_r)
            hh = act(x_h + (r * h_{t-1}) @ U_h)
        reset_after=True (Keras 3 / cuDNN; bias (2, 3·units): rows b_x, b_h):
            q = h_{t-1} @ recurrent_kernel + b_h
            z = σ(x_z + q_z)     r = σ(x_r + q_r)     hh = act(x_h + r * q_h)
        h_t = z * h_{t-1} + (1 - z) * hh

    Args:
        reset_after: Which variant (see above).
        Other arguments as :class:`RNNBase`.

    >>> import numpy as np
    >>> GRU(3, reset_after=True)(np.ones((2, 4, 5))).shape
    (2, 3)
    """

    _gates = 3
    _state_names = ("h",)
    _step_buffers = {"aux": 0}

    def __init__(self, units: int, *, reset_after: bool = False, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = check_bool(type(self).__name__, "reset_after", reset_after)

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _buffers(self, states0, steps, batch, training):
        n = self.units
        bias = np.zeros((2, 3 * n), self.dtype)
        if self.use_bias:
            bias[...] = self.params["bias"]  # (2, 3n), or (3n,) broadcast into the input row
            if not self.reset_after:
                bias[1] = 0.0
        return {"aux": np.empty((steps, batch, n), self.dtype), "bias": bias}

    def _recur(self, projection, h_all, recurrent_masks, time_mask, buffers):
        steps, batch, _ = projection.shape
        kernels.gru_forward(
            projection,
            self.params["recurrent_kernel"],
            buffers["bias"],
            _empty_masks(recurrent_masks, batch, self.units, self.dtype),
            _NO_MASK if time_mask is None else time_mask,
            self.activation.code,
            self.recurrent_activation.code,
            self.reset_after,
            self._exact,
            h_all,
            buffers["aux"][:steps],
        )

    def _backward(self, cache, d_hs, d_final):
        batch, n = cache.batch, self.units
        extra = cache.extra
        d_h = np.ascontiguousarray(d_final[0])
        d_a = extra["gates"]  # overwritten step by step: no second (T, B, 3n) buffer
        aux = extra["aux"]  # reset_after: overwritten with the gradient at q_h
        d_bias = np.empty((2, 3 * n), self.dtype)
        kernels.gru_backward(
            extra["gates"],
            cache.h_all,
            aux,
            *cache.backward_kernel,
            _empty_masks(cache.recurrent_masks, batch, n, self.dtype),
            _NO_MASK if cache.mask is None else cache.mask,
            self.activation.code,
            self.recurrent_activation.code,
            self.reset_after,
            d_hs,
            d_h,
            d_a,
            d_bias,
        )
        self._recurrent_gradient(cache, d_a[..., : 2 * n], kernel_columns=True)
        if self.reset_after:
            # q_h = (h_{t-1} * m_h) @ U_h: the h block's gradient is in aux.
            self._recurrent_gradient(cache, aux, start=2 * n)
        else:
            # (r * h_{t-1} * m_h) @ U_h: aux is the left factor.
            self._recurrent_gradient(cache, d_a[..., 2 * n :], start=2 * n, left=aux)
        if self.use_bias:
            if self.reset_after:
                # The recurrent z and r biases add to the same pre-activations as the input ones.
                d_bias[1, : 2 * n] = d_bias[0, : 2 * n]
                cache.grads["bias"][...] = d_bias
            else:
                cache.grads["bias"][...] = d_bias[0]
        return d_a, [d_h]

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments, serializable as JSON."""
        config = super().get_config()
        config.update(
            recurrent_activation=self.recurrent_activation.name,
            reset_after=self.reset_after,
            implementation=self.implementation,
        )
        return config
