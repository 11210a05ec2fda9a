"""Dense linear algebra: factorizations, solvers, norms (``scipy.linalg`` /
``numpy.linalg`` names and semantics).

LU with partial pivoting (:func:`lu_factor`, :func:`lu_solve`, :func:`lu`, :func:`solve`,
:func:`inv`, :func:`det`, :func:`slogdet`), Cholesky (:func:`cholesky`,
:func:`cho_factor`, :func:`cho_solve`), triangular solves (:func:`solve_triangular`),
Householder QR (:func:`qr`, :func:`qr_multiply`), least squares (:func:`lstsq`), norms
and condition numbers (:func:`matrix_norm`, :func:`norm`, :func:`cond`), the symmetric
eigenproblem (:func:`eigh`, :func:`eigvalsh`), the singular value decomposition
(:func:`svd`, :func:`svdvals`, :func:`randomized_svd`) and what it gives (:func:`pinv`,
:func:`matrix_rank`).

Examples
--------
>>> import numpy as np, lamina
>>> a = np.array([[4.0, 1.0], [1.0, 3.0]])
>>> x = lamina.linalg.solve(a, [1.0, 2.0])
>>> bool(np.allclose(a @ x, [1.0, 2.0]))
True
"""

from lamina.linalg._cholesky import cho_factor, cho_solve, cholesky
from lamina.linalg._eigh import eigh, eigvalsh
from lamina.linalg._lstsq import lstsq
from lamina.linalg._lu import det, inv, lu, lu_factor, lu_solve, slogdet, solve
from lamina.linalg._norms import cond, matrix_norm, norm
from lamina.linalg._qr import qr, qr_multiply
from lamina.linalg._randomized import randomized_svd
from lamina.linalg._svd import matrix_rank, pinv, svd, svdvals
from lamina.linalg._triangular import solve_triangular

__all__ = [
    "cho_factor",
    "cho_solve",
    "cholesky",
    "cond",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "lstsq",
    "lu",
    "lu_factor",
    "lu_solve",
    "matrix_norm",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "qr_multiply",
    "randomized_svd",
    "slogdet",
    "solve",
    "solve_triangular",
    "svd",
    "svdvals",
]
