"""Print the worst LAPACK residual ratio per routine over the test matrix types.

    python -m tests.linalg.report_ratios

Same matrices, sizes and formulas as the accuracy tests (threshold 30); prints a table.
"""

import warnings

import numpy as np

from lamina import LinAlgWarning
from lamina import linalg as la
from tests.linalg._matrices import (
    KINDS,
    cholesky_ratio,
    inverse_ratio,
    lu_ratio,
    matrix,
    qr_ratios,
    solve_ratio,
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


if __name__ == "__main__":
    main()
