"""Print the worst LAPACK residual ratio per routine over the test matrix types.

    python -m tests.linalg.report_ratios

Same matrices, sizes and formulas as the accuracy tests (threshold 30 for the
factorizations, 60 for eigh, 50 for the SVD); prints a table per routine, then the
worst ratio per routine and matrix type for the eigenproblem and the SVD.
"""

import warnings

import numpy as np

from lamina import LinAlgWarning
from lamina import linalg as la
from tests.linalg._matrices import (
    KINDS,
    SPECTRAL_KINDS,
    SVD_KINDS,
    cholesky_ratio,
    eigh_ratios,
    general_matrix,
    inverse_ratio,
    lu_ratio,
    matrix,
    qr_ratios,
    solve_ratio,
    svd_ratios,
    symmetric_matrix,
    values_ratio,
)

SIZES = (1, 2, 3, 5, 10, 50, 257)


def main():
    rng = np.random.default_rng(2024)
    worst = {}

    def note(name, dtype, value):
        key = (name, np.dtype(dtype).name)
        worst[key] = max(worst.get(key, 0.0), float(value))

    warnings.simplefilter("ignore", LinAlgWarning)
    for dtype in (np.float32, np.float64):
        for kind in KINDS:
            for n in SIZES:
                a = matrix(kind, n, n, dtype, rng)
                p, l, u = la.lu(a)
                note("lu", dtype, lu_ratio(a, p, l, u))
                b = rng.standard_normal((n, 2)).astype(dtype)
                note("solve", dtype, solve_ratio(a, la.solve(a, b), b))
                note("inv", dtype, inverse_ratio(a, la.inv(a)))
                s = matrix(kind if kind != "cond_big" else "cond_sqrt", n, n, dtype, rng,
                           spd=True)
                note("cholesky", dtype, cholesky_ratio(s, la.cholesky(s, lower=True)))
                for m in (n, n + 7, max(1, n // 2)):
                    r = matrix(kind, m, n, dtype, rng)
                    q, rr = la.qr(r, mode="complete")
                    fact, orth = qr_ratios(r, q, rr)
                    note("qr (R - Q^T A)", dtype, fact)
                    note("qr (I - Q^T Q)", dtype, orth)
    width = max(len(k[0]) for k in worst)
    print(f"{'routine'.ljust(width)}  {'float32':>9}  {'float64':>9}   (threshold 30)")
    for name in dict.fromkeys(k[0] for k in worst):
        print(f"{name.ljust(width)}  {worst[(name, 'float32')]:9.3f}  "
              f"{worst[(name, 'float64')]:9.3f}")
    print()
    _spectral_report(rng)


def _spectral_report(rng):
    """Worst ratio per routine and matrix type: eigh (threshold 60), svd (threshold 50)."""
    worst = {}

    def note(routine, kind, dtype, value):
        key = (routine, kind, np.dtype(dtype).name)
        worst[key] = max(worst.get(key, 0.0), float(value))

    for dtype in (np.float32, np.float64):
        for kind in SPECTRAL_KINDS:
            for n in SIZES:
                a = symmetric_matrix(kind, n, dtype, rng)
                w, z = la.eigh(a)
                fact, orth = eigh_ratios(a, w, z)
                note("eigh A - Z D Z^T", kind, dtype, fact)
                note("eigh I - Z^T Z", kind, dtype, orth)
                note("eigvalsh vs eigh", kind, dtype, values_ratio(la.eigvalsh(a), w, dtype))
        for kind in SVD_KINDS:
            for n in SIZES:
                for m in (n, n + 7, max(1, n // 2)):
                    for method in ("auto", "jacobi"):
                        a = general_matrix(kind, m, n, dtype, rng)
                        u, s, vt = la.svd(a, full_matrices=False, method=method)
                        tag = "svd" if method == "auto" else "svd jacobi"
                        for label, value in zip(("A - U S V^T", "I - U^T U", "I - V^T V"),
                                                svd_ratios(a, u, s, vt), strict=True):
                            note(f"{tag} {label}", kind, dtype, value)
                        if method == "auto":
                            note("svdvals vs svd", kind, dtype,
                                 values_ratio(la.svdvals(a), s, dtype))
    routines = list(dict.fromkeys(k[0] for k in worst))
    kinds = list(dict.fromkeys(k[1] for k in worst))
    for dtype in ("float32", "float64"):
        print(f"worst ratio per routine and matrix type, {dtype} "
              "(thresholds: eigh 60, svd 50)")
        head = "routine".ljust(22) + "".join(k.rjust(16) for k in kinds)
        print(head)
        for r in routines:
            cells = [worst.get((r, k, dtype)) for k in kinds]
            print(r.ljust(22) + "".join(("" if c is None else f"{c:.2f}").rjust(16)
                                        for c in cells))
        print()


if __name__ == "__main__":
    main()
