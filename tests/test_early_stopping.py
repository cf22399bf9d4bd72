"""EarlyStopping against Keras 3's logic, epoch by epoch.

The expected (stopped epoch, best epoch, best value, restored weights) of each case are
what keras.callbacks.EarlyStopping (Keras 3.15) gives for the same monitor values on the
same stand-in model (checked once; Keras is not needed here).
"""

import pytest

from rnnkit.callbacks import EarlyStopping


class _Model:
    """Weights are the index of the epoch that produced them."""

    stop_training = False
    weights = None

    def get_weights(self):
        return [self.weights]

    def set_weights(self, weights):
        self.weights = weights[0]


@pytest.mark.parametrize(
    ("options", "values", "expected"),
    [
        # Improvements that never beat the baseline: the best epoch is still tracked and
        # restored, and patience runs out counting from the first epoch.
        ({"baseline": 0.5, "patience": 2}, [0.9, 0.6, 0.8, 0.7], (2, 1, 0.6, 1)),
        # Beating the baseline restarts patience.
        ({"baseline": 0.5, "patience": 1}, [0.9, 0.4, 0.45, 0.3, 0.6, 0.7], (2, 1, 0.4, 1)),
        ({"patience": 1, "start_from_epoch": 2}, [0.1, 0.9, 0.8, 0.85, 0.9], (3, 2, 0.8, 2)),
        ({"patience": 0, "min_delta": 0.05}, [1.0, 0.97, 0.9], (1, 0, 1.0, 0)),
        (
            {"monitor": "val_acc", "mode": "max", "baseline": 0.8, "patience": 2},
            [0.5, 0.7, 0.75, 0.79, 0.9],
            (0, 4, 0.9, 4),
        ),
    ],
)
def test_early_stopping_follows_keras(options, values, expected):
    model = _Model()
    callback = EarlyStopping(restore_best_weights=True, **options)
    callback.set_model(model)
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        model.weights = epoch
        callback.on_epoch_end(epoch, {callback.monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    assert (callback.stopped_epoch, callback.best_epoch, callback.best, model.weights) == expected
