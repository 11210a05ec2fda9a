"""Tensor algebra on lamina's kernels: unfoldings, mode-n products, Khatri-Rao, MTTKRP.

Conventions (Kolda & Bader, "Tensor Decompositions and Applications", SIAM Review 2009,
with C-order instead of Fortran order for the column index):

* the mode-n unfolding ``unfold(X, n)`` is ``moveaxis(X, n, 0).reshape(I_n, -1)``: the
  remaining modes keep their order, the last one varying fastest;
* ``khatri_rao([A, B, C])[:, r] = kron(A[:, r], B[:, r], C[:, r])`` matches that order,
  so ``unfold(X, n) @ khatri_rao(factors without n)`` is the MTTKRP of mode n;
* ``mode_dot(X, M, n)`` is the n-mode product ``X x_n M``: the unfolding multiplied by
  ``M`` from the left, folded back.

Every product runs in lamina's GEMM (:func:`lamina.matmul` / :func:`lamina.gemm`);
NumPy only moves data (transposing copies, reshapes) and forms the element-wise
Khatri-Rao products.
"""

import numpy as np

import lamina

__all__ = ["fold", "frobenius", "gram", "khatri_rao", "leading_left_singular_vectors",
           "mode_dot", "multi_mode_dot", "unfold"]


def unfold(x, mode):
    """The mode-``mode`` unfolding, shape (I_mode, prod of the other sizes).

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_tensor import fold, unfold
    >>> x = np.arange(24.0).reshape(2, 3, 4)
    >>> unfold(x, 1).shape
    (3, 8)
    >>> bool((fold(unfold(x, 1), 1, x.shape) == x).all())
    True
    """
    if mode == 0:
        return x.reshape(x.shape[0], -1)
    return np.moveaxis(x, mode, 0).reshape(x.shape[mode], -1)


def fold(matrix, mode, shape):
    """Inverse of :func:`unfold` for a tensor of ``shape``."""
    moved = (shape[mode],) + tuple(s for i, s in enumerate(shape) if i != mode)
    return np.moveaxis(matrix.reshape(moved), 0, mode)


def mode_dot(x, matrix, mode, *, transpose=False):
    """``x x_mode op(matrix)`` with ``op`` the transpose when ``transpose``: a GEMM.

    The first and last modes need no data movement: mode 0 multiplies the unfolding
    (a view) from the left; the last mode multiplies the (rows, I_last) view from the
    right.  Middle modes move the mode to the front (one copy) first.
    """
    op = matrix.T if transpose else matrix
    new = op.shape[0]
    shape = x.shape[:mode] + (new,) + x.shape[mode + 1:]
    if mode == x.ndim - 1:
        out = lamina.gemm(x.reshape(-1, x.shape[-1]), matrix, trans_b=not transpose)
        return out.reshape(shape)
    out = lamina.gemm(matrix, unfold(x, mode), trans_a=transpose)
    return fold(out, mode, shape) if mode else out.reshape(shape)


def multi_mode_dot(x, matrices, *, skip=None, transpose=False):
    """``x`` multiplied along every mode ``k != skip`` by ``matrices[k]`` (None: no-op).

    The products run in the order that shrinks the tensor fastest (largest reduction
    ratio first), which for truncating projections keeps every later GEMM small.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_tensor import multi_mode_dot
    >>> x = np.ones((4, 5, 6))
    >>> multi_mode_dot(x, [np.ones((4, 2)), None, np.ones((6, 3))], transpose=True).shape
    (2, 5, 3)
    """
    order = [k for k, m in enumerate(matrices) if k != skip and m is not None]

    def ratio(k):
        rows = matrices[k].shape[1] if transpose else matrices[k].shape[0]
        return rows / x.shape[k]

    for k in sorted(order, key=ratio):
        x = mode_dot(x, matrices[k], k, transpose=transpose)
    return x


def khatri_rao(matrices):
    """Column-wise Kronecker product of matrices with a common column count.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina_tensor import khatri_rao
    >>> khatri_rao([np.array([[1.0], [2.0]]), np.array([[1.0], [10.0]])]).ravel()
    array([ 1., 10.,  2., 20.])
    """
    out = matrices[0]
    rank = out.shape[1]
    for m in matrices[1:]:
        out = (out[:, None, :] * m[None, :, :]).reshape(-1, rank)
    return out


def gram(a):
    """``a.T @ a`` on lamina's GEMM."""
    return lamina.gemm(a, a, trans_a=True)


def leading_left_singular_vectors(matrix, k):
    """The ``k`` leading left singular vectors of ``matrix`` (lamina's SVD), signs fixed.

    Each vector's largest-magnitude entry is made positive so results do not depend on
    the SVD's arbitrary signs.  Returns an (m, k) array with orthonormal columns.
    """
    m, n = matrix.shape
    if n > m:
        # Wide (every unfolding of a tensor with more than a few modes is): with
        # matrix^T = Q R, matrix = R^T Q^T has the left singular vectors of the small
        # m x m R^T, so only R is formed (Householder QR, backward stable like the SVD).
        matrix = lamina.linalg.qr(matrix.T, mode="r").T
    u, _, _ = lamina.linalg.svd(matrix, full_matrices=False)
    return _fix_signs(np.ascontiguousarray(u[:, :k]))


def _fix_signs(u):
    if u.size == 0:
        return u
    pivot = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[pivot, np.arange(u.shape[1])])
    signs[signs == 0] = 1
    return u * signs.astype(u.dtype)


def frobenius(x):
    """Frobenius norm of any array, overflow-safe (lamina's scaled 2-norm)."""
    return float(lamina.vector_norm(x.reshape(-1)))
