import numpy as np
import pytest

from rnnkit.errors import ArgumentError, ArgumentTypeError
from rnnkit.preprocessing.sequence import pad_sequences


def test_defaults_pre_pad_pre_truncate():
    out = pad_sequences([[1, 2, 3, 4], [5], []], maxlen=3)
    np.testing.assert_array_equal(out, [[2, 3, 4], [0, 0, 5], [0, 0, 0]])
    assert out.dtype == np.int32


def test_longest_by_default_and_post():
    out = pad_sequences([[1, 2], [3, 4, 5]], padding="post", value=-1)
    np.testing.assert_array_equal(out, [[1, 2, -1], [3, 4, 5]])
    out = pad_sequences([[1, 2, 3]], maxlen=2, truncating="post")
    np.testing.assert_array_equal(out, [[1, 2]])


def test_sample_shape_from_first_non_empty():
    out = pad_sequences([[], [[1.0, 2.0]]], maxlen=2, dtype="float32")
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out[1, 1], [1.0, 2.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"padding": "middle"}, ArgumentError, "`padding` must be one of 'pre', 'post'"),
        ({"truncating": "x"}, ArgumentError, "`truncating`"),
        ({"maxlen": -1}, ArgumentError, "`maxlen`"),
        ({"value": "x"}, ArgumentTypeError, "string padding value"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        pad_sequences([[1]], **kwargs)
