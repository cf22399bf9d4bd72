"""Embedding gradient: scatter-add of output gradients into the rows that were used."""

from numba import njit


@njit(cache=True, error_model="numpy")
def scatter_add_rows(rows, values, out):
    """``out[rows[i]] += values[i]`` for every i (rows may repeat).

    Args:
        rows: (N,) int row indices.
        values: (N, D) gradients, one row per looked-up id.
        out: (V, D) accumulated in place.
    """
    width = values.shape[1]
    for i in range(rows.shape[0]):
        r = rows[i]
        for j in range(width):
            out[r, j] += values[i, j]
