"""Preconditioners for the Krylov solvers: Jacobi, SSOR and incomplete Cholesky IC(0).

Each approximates ``A^-1`` (SciPy's convention for ``M``), is applied inside the solvers'
nogil loops without Python, and is also usable on its own through ``matvec``.  Any other
``M`` the solvers accept -- a matrix, a sparse matrix, an object with ``matvec`` -- is
applied as ``z = M @ r``.

Examples
--------
>>> import numpy as np, scipy.sparse as sp, lamina.solvers
>>> A = sp.diags([-1.0, 4.0, -1.0], [-1, 0, 1], shape=(50, 50), format="csr")
>>> M = lamina.solvers.preconditioners.IncompleteCholesky(A)
>>> res = lamina.solvers.cg(A, np.ones(50), M=M)
>>> bool(res.converged), res.iterations
(True, 1)
"""

import numpy as np

from lamina._errors import LinAlgError
from lamina._kernels import _iterative
from lamina._validation import as_float_array, check_scalar
from lamina.solvers._operators import as_operator
from lamina.sparse._csr import CSR, dense_to_csr

__all__ = ["IncompleteCholesky", "Jacobi", "Preconditioner", "SSOR"]


class Preconditioner:
    """Base class: ``shape``, ``dtype``, ``matvec(r)`` (= ``M @ r``, approximately A^-1 r)."""

    shape = (0, 0)
    dtype = np.dtype(np.float64)

    def _configure(self, problem, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    def matvec(self, r):
        """Apply the preconditioner: ``z = M r``."""
        r = as_float_array(r, "r", ndim=1)
        n = self.shape[0]
        if r.shape[0] != n:
            raise ValueError(f"r has shape {r.shape}, expected ({n},)")
        dtype = np.result_type(r.dtype, self.dtype)
        problem = _iterative.Problem(n, 1)
        self._configure(problem, dtype)
        z = np.empty(n, dtype=dtype)
        problem.apply_preconditioner(np.ascontiguousarray(r, dtype=dtype), z)
        return z

    __call__ = matvec

    def __repr__(self):
        return f"<{type(self).__name__} {self.shape[0]}x{self.shape[1]}, {self.dtype}>"


def _diagonal(op, name):
    d = op.dense.diagonal().copy() if op.kind == "dense" else op.csr.diagonal()
    zero = np.flatnonzero(d == 0)
    if zero.size:
        i = int(zero[0])
        raise LinAlgError(f"{name}: A[{i}, {i}] == 0 (zero diagonal entry in row {i})")
    return d


def _matrix(A, name):
    op = as_operator(A)
    if op.kind == "python":
        raise TypeError(f"{name} needs the matrix entries (a NumPy array or a sparse "
                        "matrix), not a matrix-free operator")
    return op


class Jacobi(Preconditioner):
    """Diagonal (Jacobi) preconditioner ``M = diag(A)^-1``.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (n, n)
        Its diagonal must have no zeros (else :class:`lamina.LinAlgError` naming the row).

    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> M = lamina.solvers.preconditioners.Jacobi(np.diag([2.0, 4.0]))
    >>> M.matvec(np.ones(2))
    array([0.5 , 0.25])
    """

    def __init__(self, A):
        op = _matrix(A, "Jacobi")
        self.shape = op.shape
        self.dtype = op.dtype
        self.inverse_diagonal = 1 / _diagonal(op, "Jacobi")

    def _configure(self, problem, dtype):
        problem.set_preconditioner(
            "diag", diag=np.ascontiguousarray(self.inverse_diagonal, dtype=dtype))


class SSOR(Preconditioner):
    """Symmetric successive over-relaxation preconditioner.

    ``M = P^-1`` with ``P = (D + wL) D^-1 (D + wU) / (w (2 - w))`` (A = L + D + U), applied
    as one forward and one backward sweep with relaxation ``w = omega`` in (0, 2).  P is
    symmetric positive definite when A is, so it suits CG and MINRES.

    Parameters
    ----------
    A : array_like or sparse matrix, shape (n, n)
        Nonzero diagonal required.  Dense input is converted to CSR once.
    omega : float
        Relaxation factor in (0, 2); 1 gives symmetric Gauss-Seidel.

    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> M = lamina.solvers.preconditioners.SSOR(np.diag([2.0, 4.0]))
    >>> M.matvec(np.ones(2))
    array([0.5 , 0.25])
    """

    def __init__(self, A, omega=1.0):
        omega = check_scalar(omega, "omega")
        if not 0 < omega < 2:
            raise ValueError(f"omega must be in (0, 2), got {omega}")
        op = _matrix(A, "SSOR")
        self.shape = op.shape
        self.dtype = op.dtype
        self.omega = omega
        self._diag = _diagonal(op, "SSOR")
        self._csr = op.csr if op.kind == "csr" else dense_to_csr(op.dense)

    def _configure(self, problem, dtype):
        c = self._csr.astype(dtype)
        problem.set_preconditioner(
            "ssor", diag=np.ascontiguousarray(self._diag, dtype=dtype), omega=self.omega,
            mat_kind="csr", indptr=c.indptr, indices=c.indices, data=c.data,
            blocks=c.blocks)


class IncompleteCholesky(Preconditioner):
    """Zero fill-in incomplete Cholesky, IC(0): ``M = (L L^T)^-1`` with L on tril(A).

    Parameters
    ----------
    A : array_like or sparse matrix, shape (n, n)
        Symmetric positive definite (only the lower triangle is read).  Raises
        :class:`lamina.LinAlgError` naming the row when a pivot is not positive (IC(0)
        exists for M-matrices and diagonally dominant matrices, not for every SPD one).

    Examples
    --------
    >>> import numpy as np, lamina.solvers
    >>> A = np.array([[4.0, 1.0], [1.0, 3.0]])
    >>> M = lamina.solvers.preconditioners.IncompleteCholesky(A)
    >>> np.allclose(M.matvec(A @ np.array([1.0, 2.0])), [1.0, 2.0])
    True
    """

    def __init__(self, A):
        op = _matrix(A, "IncompleteCholesky")
        self.shape = op.shape
        self.dtype = op.dtype
        c = op.csr if op.kind == "csr" else dense_to_csr(op.dense)
        n = c.shape[0]
        counts = np.diff(c.indptr)
        rows = np.repeat(np.arange(n, dtype=np.int64), counts)
        cols = c.indices.astype(np.int64)
        keep = cols <= rows
        rows, cols, vals = rows[keep], cols[keep], c.data[keep].astype(np.float64)
        # Sum duplicates and sort each row by column (the diagonal is then last).
        key = rows * max(n, 1) + cols
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        uniq, start = np.unique(key, return_index=True)
        vals = np.add.reduceat(vals, start) if vals.size else vals
        rows, cols = uniq // max(n, 1), uniq % max(n, 1)
        has_diag = np.zeros(n, dtype=bool)
        has_diag[rows[rows == cols]] = True
        if not has_diag.all():
            i = int(np.flatnonzero(~has_diag)[0])
            raise LinAlgError(f"IncompleteCholesky: A[{i}, {i}] is missing (zero diagonal "
                              f"in row {i})")
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        data = np.ascontiguousarray(vals)
        bad = _iterative.ic0_factor(indptr, np.ascontiguousarray(cols), data)
        if bad >= 0:
            raise LinAlgError(f"IncompleteCholesky: non-positive pivot in row {bad} "
                              "(IC(0) does not exist for this matrix; try Jacobi or SSOR)")
        self.L = CSR(data, np.ascontiguousarray(cols), indptr, (n, n))

    def _configure(self, problem, dtype):
        L = self.L.astype(dtype)
        problem.set_preconditioner("ic0", mat_kind="csr", indptr=L.indptr,
                                   indices=L.indices, data=L.data, blocks=L.blocks)
