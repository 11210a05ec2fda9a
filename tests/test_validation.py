"""The shared input checks of lamina._validation."""

import numpy as np
import pytest

from lamina._kernels import _blas1
from lamina._validation import all_finite, as_float_array


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 65536, 65537, 300001])
def test_all_finite_finds_every_nan_and_inf(dtype, n):
    """The exponent-bit scan agrees with numpy.isfinite: NaN, +Inf and -Inf at the first,
    a middle and the last position, on 1 and 2 threads; the largest finite values and
    subnormals are finite."""
    finite = np.full(n, 1.5, dtype)
    finite[n // 2] = np.finfo(dtype).max
    finite[0] = -np.finfo(dtype).max
    finite[-1] = np.finfo(dtype).smallest_subnormal
    for threads in (1, 2):
        assert _blas1.all_finite(finite, threads)
    for bad in (np.nan, np.inf, -np.inf):
        for pos in {0, n // 2, n - 1}:
            a = finite.copy()
            a[pos] = bad
            for threads in (1, 2):
                assert not _blas1.all_finite(a, threads)
    assert _blas1.all_finite(np.empty(0, dtype), 2)


def test_all_finite_any_layout_and_dtype():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((40, 30))
    for view in (a, a.T, a[::2, ::3], a.astype(">f8"), a.astype(np.float16),
                 np.asfortranarray(a)):
        assert all_finite(view)
        bad = view.copy()
        bad[3, 4] = np.inf
        assert not all_finite(bad)
    x = a.astype(np.float32)
    x[7, 7] = np.nan
    with pytest.raises(ValueError, match="X must not contain NaN or Inf"):
        as_float_array(x, "X", check_finite=True)
