"""Input batteries for the conformance kit, one generator per operation.

Each generator yields :class:`Case` objects: positional and keyword arguments (NumPy arrays;
the kit converts them with the backend's ``asarray``), a label, a tolerance multiplier of
the dtype's epsilon times the problem size, and optionally the exception type the core
raises so the backend must raise it too.  Later capabilities add their generators here.
"""

import dataclasses

import numpy as np

DTYPES = (np.float32, np.float64)


@dataclasses.dataclass
class Case:
    label: str
    args: tuple
    kwargs: dict = dataclasses.field(default_factory=dict)
    tol: float = 8.0                 # multiples of eps * size
    size: int = 1
    raises: type | None = None
    # compare(actual, expected) -> None or a message, for results compared by a property
    # (a solver's residual) rather than elementwise.
    compare: object = None
    # Optional comparison hook ``check(actual, expected, case) -> None | str`` replacing the
    # element-wise comparison with the core: factorizations whose factors are not unique
    # (signs of QR, pivot choices on ties) are checked by reconstruction and orthogonality.
    check: object = None


def _rng(seed=0):
    return np.random.default_rng(seed)


def _vectors(n, dtype, seed=0):
    r = _rng(seed + n)
    return r.standard_normal(n).astype(dtype), r.standard_normal(n).astype(dtype)


def _strided(v):
    big = np.empty(2 * v.shape[0], dtype=v.dtype)
    big[::2] = v
    return big[::2]


SIZES = (0, 1, 2, 3, 7, 33, 1000)


def cases_dot():
    for dtype in DTYPES:
        for n in SIZES:
            x, y = _vectors(n, dtype)
            yield Case(f"dot n={n} {np.dtype(dtype).name}", (x, y), size=max(n, 1))
        x, y = _vectors(257, dtype)
        yield Case(f"dot strided {np.dtype(dtype).name}", (_strided(x), y[::-1]), size=257)
    yield Case("dot length mismatch", (np.ones(3), np.ones(4)), raises=ValueError)
    yield Case("dot 2-D input", (np.ones((2, 2)), np.ones((2, 2))), raises=ValueError)


def cases_axpy():
    for dtype in DTYPES:
        for n in SIZES:
            x, y = _vectors(n, dtype, 1)
            yield Case(f"axpy n={n} {np.dtype(dtype).name}", (1.5, x, y), size=2)
        x, y = _vectors(100, dtype, 2)
        yield Case(f"axpy strided {np.dtype(dtype).name}", (-0.5, _strided(x), y[::-1]), size=2)
    yield Case("axpy length mismatch", (1.0, np.ones(3), np.ones(2)), raises=ValueError)


def cases_scal():
    for dtype in DTYPES:
        for n in (0, 1, 5, 100):
            x, _ = _vectors(n, dtype, 3)
            yield Case(f"scal n={n} {np.dtype(dtype).name}", (2.5, x), size=1)


def _unary_vector_cases(op):
    for dtype in DTYPES:
        for n in (1, 2, 7, 100, 1000):
            x, _ = _vectors(n, dtype, 4)
            yield Case(f"{op} n={n} {np.dtype(dtype).name}", (x,), size=n)
        x, _ = _vectors(64, dtype, 5)
        yield Case(f"{op} strided {np.dtype(dtype).name}", (_strided(x),), size=64)
    yield Case(f"{op} 2-D input", (np.ones((2, 2)),), raises=ValueError)


def cases_nrm2():
    yield from _unary_vector_cases("nrm2")
    yield Case("nrm2 near overflow", (np.array([3e300, 4e300]),), size=2)
    yield Case("nrm2 near underflow", (np.array([3e-300, 4e-300]),), size=2)


def cases_asum():
    yield from _unary_vector_cases("asum")


def cases_iamax():
    yield from _unary_vector_cases("iamax")
    yield Case("iamax empty", (np.ones(0),), raises=ValueError)


def cases_vector_norm():
    r = _rng(6)
    for dtype in DTYPES:
        x = r.standard_normal(50).astype(dtype)
        for ord in (1, 2, np.inf, -np.inf, 0, 3, 0.5):
            yield Case(f"vector_norm ord={ord} {np.dtype(dtype).name}", (x,), {"ord": ord},
                       size=50, tol=64)
        m = r.standard_normal((4, 6)).astype(dtype)
        yield Case(f"vector_norm axis=1 {np.dtype(dtype).name}", (m,), {"axis": 1}, size=6)
        yield Case(f"vector_norm axis=0 keepdims {np.dtype(dtype).name}", (m,),
                   {"axis": 0, "keepdims": True}, size=4)


def cases_gemv():
    r = _rng(7)
    for dtype in DTYPES:
        for m, n in ((0, 3), (3, 0), (1, 1), (5, 7), (64, 33), (300, 200)):
            a = r.standard_normal((m, n)).astype(dtype)
            x = r.standard_normal(n).astype(dtype)
            y = r.standard_normal(m).astype(dtype)
            yield Case(f"gemv {m}x{n} {np.dtype(dtype).name}", (1.0, a, x), size=max(n, 1))
            yield Case(f"gemv beta {m}x{n} {np.dtype(dtype).name}", (2.0, a, x, 0.5, y),
                       size=max(n, 1))
            yield Case(f"gemv F-order trans {m}x{n} {np.dtype(dtype).name}",
                       (1.0, np.asfortranarray(a), y), {"trans": True}, size=max(m, 1))
    yield Case("gemv shape mismatch", (1.0, np.ones((2, 3)), np.ones(2)), raises=ValueError)


def cases_ger():
    r = _rng(8)
    for dtype in DTYPES:
        for m, n in ((0, 2), (1, 1), (4, 5), (100, 70)):
            x = r.standard_normal(m).astype(dtype)
            y = r.standard_normal(n).astype(dtype)
            a = r.standard_normal((m, n)).astype(dtype)
            yield Case(f"ger {m}x{n} {np.dtype(dtype).name}", (0.5, x, y, a), size=2)
    yield Case("ger shape mismatch", (1.0, np.ones(2), np.ones(3), np.ones((3, 2))),
               raises=ValueError)


def cases_outer():
    r = _rng(9)
    for dtype in DTYPES:
        for m, n in ((0, 3), (1, 1), (6, 4), (200, 150)):
            x = r.standard_normal(m).astype(dtype)
            y = r.standard_normal(n).astype(dtype)
            yield Case(f"outer {m}x{n} {np.dtype(dtype).name}", (x, y), size=1)


def cases_matvec():
    r = _rng(10)
    for dtype in DTYPES:
        a = r.standard_normal((3, 4, 5)).astype(dtype)
        x = r.standard_normal(5).astype(dtype)
        yield Case(f"matvec stacked {np.dtype(dtype).name}", (a, x), size=5)
        a2 = r.standard_normal((40, 30)).astype(dtype)
        x2 = r.standard_normal((2, 30)).astype(dtype)
        yield Case(f"matvec broadcast x {np.dtype(dtype).name}", (a2, x2), size=30)
    yield Case("matvec mismatch", (np.ones((2, 3)), np.ones(2)), raises=ValueError)


def cases_matmul():
    r = _rng(11)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for m, k, n in ((0, 3, 2), (2, 0, 3), (1, 1, 1), (7, 5, 9), (33, 65, 17),
                        (130, 200, 97)):
            a = r.standard_normal((m, k)).astype(dtype)
            b = r.standard_normal((k, n)).astype(dtype)
            yield Case(f"matmul {m}x{k}x{n} {name}", (a, b), size=max(k, 1))
            yield Case(f"matmul F-order {m}x{k}x{n} {name}",
                       (np.asfortranarray(a), b[::-1]), size=max(k, 1))
        a = r.standard_normal((3, 1, 4, 5)).astype(dtype)
        b = r.standard_normal((2, 5, 6)).astype(dtype)
        yield Case(f"matmul broadcast batch {name}", (a, b), size=5)
        yield Case(f"matmul vector @ matrix {name}", (a[0, 0, 0], b[0]), size=5)
        yield Case(f"matmul matrix @ vector {name}", (b[0].T, a[0, 0, 0]), size=5)
        yield Case(f"matmul vector @ vector {name}", (a[0, 0, 0], a[1, 0, 1]), size=5)
    yield Case("matmul core mismatch", (np.ones((2, 3)), np.ones((2, 3))), raises=ValueError)
    yield Case("matmul scalar", (np.float64(2.0), np.ones(3)), raises=ValueError)


def cases_gemm():
    r = _rng(12)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for m, k, n in ((0, 2, 3), (3, 0, 2), (1, 1, 1), (9, 7, 25), (70, 130, 50)):
            a = r.standard_normal((m, k)).astype(dtype)
            b = r.standard_normal((k, n)).astype(dtype)
            c = r.standard_normal((m, n)).astype(dtype)
            bias = r.standard_normal(n).astype(dtype)
            size = max(k, 1) + 2
            yield Case(f"gemm {m}x{k}x{n} {name}", (a, b), size=size)
            yield Case(f"gemm alpha beta {m}x{k}x{n} {name}", (a, b, c),
                       {"alpha": -1.5, "beta": 0.5}, size=size)
            yield Case(f"gemm trans {m}x{k}x{n} {name}",
                       (np.ascontiguousarray(a.T), np.asfortranarray(b.T)),
                       {"trans_a": True, "trans_b": True}, size=size)
            for act in ("relu", "gelu", "sigmoid", "tanh"):
                yield Case(f"gemm bias {act} {m}x{k}x{n} {name}", (a, b),
                           {"bias": bias, "activation": act}, size=size)
        c = np.full((4, 5), np.nan, dtype)
        yield Case(f"gemm beta=0 ignores NaN in c {name}",
                   (np.ones((4, 3), dtype), np.ones((3, 5), dtype), c), size=3)
    yield Case("gemm inner mismatch", (np.ones((2, 3)), np.ones((2, 3))), raises=ValueError)
    yield Case("gemm unknown activation", (np.ones((2, 2)), np.ones((2, 2))),
               {"activation": "swish"}, raises=ValueError)


def _triangular(n, dtype, seed):
    # Well-conditioned: unit-scale off-diagonal entries over a dominant diagonal.
    r = _rng(seed)
    a = r.standard_normal((n, n)) / max(n, 1) ** 0.5
    a[np.diag_indices(n)] = 2.0 + r.random(n)
    return a.astype(dtype)


def _triangular_cases(op):
    r = _rng(13)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for m, n in ((0, 3), (1, 1), (5, 3), (40, 17), (130, 70)):
            for side in ("left", "right"):
                k = m if side == "left" else n
                a = _triangular(k, dtype, m + n)
                b = r.standard_normal((m, n)).astype(dtype)
                for lower, trans, unit in ((True, False, False), (False, False, False),
                                           (True, True, True), (False, True, False)):
                    yield Case(f"{op} {side} lower={lower} trans={trans} unit={unit} "
                               f"{m}x{n} {name}", (a, b),
                               {"alpha": 0.75, "side": side, "lower": lower,
                                "trans_a": trans, "unit_diagonal": unit},
                               tol=16.0, size=max(k, 1))
    yield Case(f"{op} shape mismatch", (np.eye(3), np.ones((2, 2))), raises=ValueError)


def cases_trsm():
    yield from _triangular_cases("trsm")
    a = np.tril(np.ones((4, 4)))
    a[2, 2] = 0
    yield Case("trsm singular", (a, np.ones((4, 2))), {"lower": True},
               raises=np.linalg.LinAlgError)


def cases_trmm():
    yield from _triangular_cases("trmm")


def cases_syrk():
    r = _rng(14)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for n, k in ((0, 3), (1, 1), (5, 0), (9, 4), (150, 40)):
            a = r.standard_normal((n, k)).astype(dtype)
            c = r.standard_normal((n, n)).astype(dtype)
            for lower in (True, False):
                yield Case(f"syrk lower={lower} {n}x{k} {name}", (a,), {"lower": lower},
                           size=max(k, 1))
                yield Case(f"syrk beta lower={lower} {n}x{k} {name}", (a, c),
                           {"alpha": 2.0, "beta": -0.5, "lower": lower}, size=max(k, 1) + 2)
            yield Case(f"syrk trans {n}x{k} {name}", (np.asfortranarray(a.T),),
                       {"trans": True}, size=max(k, 1))
    yield Case("syrk c shape", (np.ones((3, 2)), np.ones((2, 2))), {"beta": 1.0},
               raises=ValueError)


# -- losses: (loss, grad) pairs compared component-wise --------------------------------

def cases_softmax_cross_entropy():
    r = _rng(11)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for n, c in ((1, 1), (5, 3), (40, 10), (7, 100), (3, 1500)):
            x = (3 * r.standard_normal((n, c))).astype(dtype)
            y = r.integers(0, c, n)
            yield Case(f"softmax_ce {n}x{c} {name}", (x, y), size=c, tol=16)
            yield Case(f"softmax_ce sum {n}x{c} {name}", (x, y), {"reduction": "sum"},
                       size=c * n, tol=16)
        x = (3 * r.standard_normal((9, 6))).astype(dtype)
        y = r.integers(0, 6, 9)
        q = r.random((9, 6)).astype(dtype)
        q /= q.sum(axis=1, keepdims=True)
        cw = r.random(6).astype(dtype) + 0.5
        sw = r.random(9).astype(dtype)
        yield Case(f"softmax_ce options {name}", (x, y),
                   {"class_weight": cw, "label_smoothing": 0.1, "sample_weight": sw,
                    "reduction": "none"}, size=6, tol=16)
        y_ign = y.copy()
        y_ign[::3] = -100
        yield Case(f"softmax_ce ignore_index {name}", (x, y_ign), {"ignore_index": -100},
                   size=6, tol=16)
        yield Case(f"softmax_ce probabilities {name}", (x, q), {"class_weight": cw},
                   size=6, tol=16)
        big = np.array([[1e4, -1e4, 0.0], [5.0, 5.0, 5.0], [-np.inf, 2.0, -np.inf]], dtype=dtype)
        yield Case(f"softmax_ce extreme logits {name}", (big, np.array([0, 1, 1])), size=3,
                   tol=16)
    yield Case("softmax_ce label out of range", (np.zeros((2, 3)), np.array([0, 3])),
               raises=ValueError)
    yield Case("softmax_ce shape mismatch", (np.zeros((2, 3)), np.array([0, 1, 2])),
               raises=ValueError)


def _pair_cases(op, make_target, kwargs_list=({},), sizes=((0,), (1,), (17,), (8, 5))):
    r = _rng(12)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for shape in sizes:
            x = (2 * r.standard_normal(shape)).astype(dtype)
            t = make_target(r, shape).astype(dtype)
            for kw in kwargs_list:
                for reduction in ("mean", "sum", "none"):
                    yield Case(f"{op} {shape} {kw} {reduction} {name}", (x, t),
                               dict(kw, reduction=reduction), size=max(x.size, 1), tol=16)
        x = (2 * r.standard_normal((6, 3))).astype(dtype)
        t = make_target(r, (6, 3)).astype(dtype)
        sw = r.random(6).astype(dtype)
        yield Case(f"{op} sample_weight {name}", (x, t), {"sample_weight": sw},
                   size=18, tol=16)
    yield Case(f"{op} shape mismatch", (np.zeros(3), np.zeros(4)), raises=ValueError)


def _normal(r, shape):
    return 2 * r.standard_normal(shape)


def cases_mse():
    yield from _pair_cases("mse", _normal)


def cases_mae():
    yield from _pair_cases("mae", _normal)


def cases_huber():
    yield from _pair_cases("huber", _normal, ({}, {"delta": 0.5}))


def cases_smooth_l1():
    yield from _pair_cases("smooth_l1", _normal, ({}, {"beta": 2.0}))


def cases_log_cosh():
    yield from _pair_cases("log_cosh", _normal)


def cases_sigmoid_binary_cross_entropy():
    yield from _pair_cases("sigmoid_binary_cross_entropy", lambda r, s: r.random(s),
                           ({}, {"pos_weight": 2.5}))
    x = _rng(13).standard_normal((4, 3))
    t = (_rng(14).random((4, 3)) > 0.5).astype(float)
    yield Case("bce multi-label pos_weight", (x, t), {"pos_weight": np.array([1.0, 2.0, 0.5])},
               size=12, tol=16)
    yield Case("bce target out of [0, 1]", (np.zeros(2), np.array([0.5, 1.5])),
               raises=ValueError)


def cases_hinge():
    yield from _pair_cases("hinge", lambda r, s: np.where(r.random(s) > 0.5, 1.0, -1.0))
    r = _rng(15)
    for dtype in DTYPES:
        x = r.standard_normal((10, 4)).astype(dtype)
        y = r.integers(0, 4, 10)
        for reduction in ("mean", "sum", "none"):
            yield Case(f"hinge multi-class {reduction} {np.dtype(dtype).name}", (x, y),
                       {"reduction": reduction}, size=4, tol=16)
    yield Case("hinge binary labels not +-1", (np.zeros(2), np.array([0.0, 1.0])),
               raises=ValueError)


def cases_kl_divergence():
    def probs(r, shape):
        q = r.random(shape)
        q[q < 0.1] = 0.0
        return q

    yield from _pair_cases("kl_divergence", probs)


def _penalty_cases(op, extra=()):
    r = _rng(16)
    for dtype in DTYPES:
        for shape in ((0,), (1,), (33,), (4, 7)):
            w = r.standard_normal(shape).astype(dtype)
            if w.size:
                w.flat[0] = 0.0
            yield Case(f"{op} {shape} {np.dtype(dtype).name}", (w, 0.3) + tuple(extra),
                       size=max(w.size, 1), tol=16)


def cases_l2_penalty():
    yield from _penalty_cases("l2_penalty")


def cases_l1_penalty():
    yield from _penalty_cases("l1_penalty")


def cases_elastic_net_penalty():
    yield from _penalty_cases("elastic_net_penalty", (0.25,))
def _poisson_dense(m, dtype):
    t = 2 * np.eye(m) - np.eye(m, k=1) - np.eye(m, k=-1)
    return (np.kron(np.eye(m), t) + np.kron(t, np.eye(m))).astype(dtype)


def _sparse_or_dense(a):
    """``a`` as a SciPy CSR array when SciPy is installed (the cases run either way)."""
    try:
        import scipy.sparse as sp
    except ImportError:
        return a
    return sp.csr_array(a)


def _solution_check(A, b, rtol):
    """Compare solver results by what they promise: a small residual, same verdict."""
    A64 = np.asarray(A, dtype=np.float64)
    b64 = np.asarray(b, dtype=np.float64)
    bnorm = float(np.linalg.norm(b64))

    def compare(actual, expected):
        x = np.asarray(actual.x)
        if x.shape != expected.x.shape:
            return f"x has shape {x.shape}, core's {expected.x.shape}"
        if x.dtype != expected.x.dtype:
            return f"x has dtype {x.dtype}, core's {expected.x.dtype}"
        if bool(actual.converged) != bool(expected.converged):
            return f"converged={actual.converged}, core says {expected.converged}"
        if expected.converged and bnorm > 0:
            res = float(np.linalg.norm(b64 - A64 @ x.astype(np.float64))) / bnorm
            slack = 100.0 if x.dtype == np.float32 else 1.5
            if not res <= rtol * slack:
                return f"relative residual {res:.3g} above rtol {rtol:.3g}"
        return None

    return compare


def _spd(n, dtype, seed):
    r = _rng(seed)
    q = r.standard_normal((n, n))
    return (q @ q.T / n + np.eye(n)).astype(dtype)


def _solver_cases(op, matrices):
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        rtol = 1e-4 if dtype == np.float32 else 1e-10
        for label, A in matrices(dtype):
            b = _rng(len(label)).standard_normal(A.shape[0]).astype(dtype)
            yield Case(f"{op} {label} {name}", (A, b), {"rtol": rtol},
                       compare=_solution_check(A, b, rtol))
            if dtype == np.float64:
                yield Case(f"{op} {label} sparse {name}", (_sparse_or_dense(A), b),
                           {"rtol": rtol}, compare=_solution_check(A, b, rtol))
        A = _poisson_dense(3, dtype)
        yield Case(f"{op} zero rhs {name}", (A, np.zeros(9, dtype)),
                   compare=_solution_check(A, np.zeros(9), 1e-5))
    yield Case(f"{op} non-square", (np.ones((3, 4)), np.ones(3)), raises=ValueError)
    yield Case(f"{op} shape mismatch", (np.eye(3), np.ones(4)), raises=ValueError)
    yield Case(f"{op} NaN in b", (np.eye(2), np.array([1.0, np.nan])), raises=ValueError)


def _spd_matrices(dtype):
    return [("poisson 5x5", _poisson_dense(5, dtype)), ("random SPD 30", _spd(30, dtype, 1))]


def _nonsymmetric_matrices(dtype):
    a = _spd(25, np.float64, 2) + np.triu(_rng(3).standard_normal((25, 25)), 1) * 0.2
    return [("nonsymmetric 25", a.astype(dtype)), ("poisson 4x4", _poisson_dense(4, dtype))]


def _indefinite_matrices(dtype):
    d = np.r_[np.linspace(-3, -1, 10), np.linspace(1, 3, 10)]
    q, _ = np.linalg.qr(_rng(4).standard_normal((20, 20)))
    a = q @ np.diag(d) @ q.T
    return [("indefinite 20", ((a + a.T) / 2).astype(dtype)),
            ("poisson 4x4", _poisson_dense(4, dtype))]


def _dominant_matrices(dtype):
    n = 30
    a = 5 * np.eye(n) - np.eye(n, k=1) - 1.5 * np.eye(n, k=-1) - 0.5 * np.eye(n, k=4)
    return [("diagonally dominant 30", a.astype(dtype))]


def cases_cg():
    yield from _solver_cases("cg", _spd_matrices)


def cases_minres():
    yield from _solver_cases("minres", _indefinite_matrices)


def cases_gmres():
    yield from _solver_cases("gmres", _nonsymmetric_matrices)


def cases_bicgstab():
    yield from _solver_cases("bicgstab", _nonsymmetric_matrices)


def _stationary_cases(op):
    yield from _solver_cases(op, _dominant_matrices)
    a = np.array([[2.0, 1.0], [1.0, 0.0]])
    yield Case(f"{op} zero diagonal", (a, np.ones(2)), raises=np.linalg.LinAlgError)


def cases_jacobi():
    yield from _stationary_cases("jacobi")


def cases_gauss_seidel():
    yield from _stationary_cases("gauss_seidel")


def cases_sor():
    yield from _stationary_cases("sor")


def _csr_cases(op, make_rhs):
    for dtype in DTYPES:
        r = _rng(11)
        for m, n in ((1, 1), (7, 5), (60, 80)):
            a = r.standard_normal((m, n)).astype(dtype)
            a[r.random((m, n)) < 0.7] = 0
            sparse = _sparse_or_dense(a)
            if sparse is a:
                return                     # without SciPy there is no sparse input to test
            yield Case(f"{op} {m}x{n} {np.dtype(dtype).name}", (sparse, make_rhs(r, n, dtype)),
                       size=n)


def cases_csr_matvec():
    yield from _csr_cases("csr_matvec", lambda r, n, dt: r.standard_normal(n).astype(dt))


def cases_csr_matmat():
    yield from _csr_cases("csr_matmat", lambda r, n, dt: r.standard_normal((n, 3)).astype(dt))



# ---------------------------------------------------------------------------------------
# lamina.linalg.  Inputs are well conditioned so unique results (solutions, inverses,
# determinants, Cholesky factors) compare element-wise; non-unique factors are checked by
# reconstruction with LAPACK's residual ratios (threshold 30).

def _compare(actual, expected, case):
    from lamina.testing._backend import _compare as compare  # (imports this module)

    return compare(actual, expected, case)


def _eps_of(a):
    return float(np.finfo(np.asarray(a).dtype).eps)


def _ratio_ok(residual, scale, a, label):
    a = np.asarray(a)
    bound = 30.0 * _eps_of(a) * max(max(a.shape[-2:], default=1), 1) * max(scale, 1e-300)
    if not np.isfinite(residual) or residual > bound:
        return f"{label} residual {residual:.3g} exceeds {bound:.3g}"
    return None


def _n1(x):
    x = np.asarray(x, dtype=np.float64)
    return float(np.abs(x).sum(axis=-2).max()) if x.size else 0.0


def _check_lu_factor(actual, expected, case):
    a = np.asarray(case.args[0], dtype=np.float64)
    lu, piv = (np.asarray(t) for t in actual)
    if lu.shape != a.shape or lu.dtype != expected[0].dtype:
        return (f"lu has shape {lu.shape} / dtype {lu.dtype}, core {expected[0].shape} / "
                f"{expected[0].dtype}")
    m, n = a.shape
    k = min(m, n)
    perm = np.arange(m)
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    low = np.tril(lu[:, :k], -1).astype(np.float64) + np.eye(m, k)
    up = np.triu(lu[:k]).astype(np.float64)
    return _ratio_ok(_n1(a[perm] - low @ up), _n1(a), lu, "P A - L U")


def _check_lu(actual, expected, case):
    a = np.asarray(case.args[0], dtype=np.float64)
    if len(actual) == 2:
        rec = np.asarray(actual[0], np.float64) @ np.asarray(actual[1], np.float64)
    else:
        p, low, up = (np.asarray(t, np.float64) for t in actual)
        rec = (p @ low @ up) if p.ndim == 2 else (low @ up)[p.astype(int)]
    if rec.shape != a.shape:
        return f"reconstruction has shape {rec.shape}, expected {a.shape}"
    return _ratio_ok(_n1(a - rec), _n1(a), np.asarray(actual[-1]), "A - P L U")


def _check_qr(actual, expected, case):
    a = np.asarray(case.args[0], dtype=np.float64)
    mode = case.kwargs.get("mode", "reduced")
    if mode == "r":
        r = np.asarray(actual)
        if r.shape != np.asarray(expected).shape:
            return f"r has shape {r.shape}, core {np.asarray(expected).shape}"
        # Rows of R are unique up to sign.
        return _compare(np.abs(r), np.abs(np.asarray(expected)), case)
    q, r = (np.asarray(t) for t in actual[:2])
    eq, er = (np.asarray(t) for t in expected[:2])
    if q.shape != eq.shape or r.shape != er.shape or q.dtype != eq.dtype:
        return f"Q, R shapes {q.shape}, {r.shape} differ from the core's {eq.shape}, {er.shape}"
    if np.any(np.tril(r, -1)):
        return "R is not upper triangular"
    msg = _ratio_ok(_n1(a - q.astype(np.float64) @ r), _n1(a), q, "A - Q R")
    if msg:
        return msg
    q64 = q.astype(np.float64)
    return _ratio_ok(_n1(np.eye(q.shape[1]) - q64.T @ q64), 1.0, q, "I - Q^T Q")


def _check_qr_multiply(actual, expected, case):
    a = np.asarray(case.args[0], dtype=np.float64)
    c = np.asarray(case.args[1], dtype=np.float64)
    cq, r = (np.asarray(t, dtype=np.float64) for t in actual[:2])
    if cq.shape != np.asarray(expected[0]).shape:
        return f"shape {cq.shape} != core's {np.asarray(expected[0]).shape}"
    if case.kwargs.get("mode", "right") == "right":
        lhs, rhs = cq @ r, c @ a          # (c Q) R = c A
    else:
        lhs, rhs = r.T @ c, a.T @ cq      # A^T (Q c) = R^T c for c with min(M, N) rows
    return _ratio_ok(_n1(lhs - rhs), _n1(a) * max(_n1(c), 1.0), np.asarray(actual[1]), "c Q R")


def _check_cho_factor(actual, expected, case):
    c, lower = actual
    ec, elower = expected
    if bool(lower) != bool(elower):
        return "lower flag differs from the core"
    tri = np.tril if lower else np.triu
    return _compare(tri(np.asarray(c)), tri(np.asarray(ec)), case)


def _check_cond(actual, expected, case):
    act, exp = float(actual), float(expected)
    # Singular: inf, or a value past 1/eps (the smallest singular value is rounding noise).
    huge = 0.1 / _eps_of(expected)
    if np.isinf(exp) or np.isinf(act) or exp > huge or act > huge:
        if (np.isinf(exp) or exp > huge) and (np.isinf(act) or act > huge):
            return None
        return f"cond {act} vs core {exp}"
    # The core estimates (a lower bound within a small factor); exact peers are accepted.
    return None if exp / 4 <= act <= exp * 4 else f"cond {act:.4g} vs core estimate {exp:.4g}"


def _check_lstsq(actual, expected, case):
    return _compare(tuple(actual[:3]), tuple(expected[:3]), case)


def _well_conditioned(n, dtype, seed, m=None):
    r = _rng(seed)
    m = n if m is None else m
    a = r.standard_normal((m, n))
    if m == n:
        a += n * np.eye(n) * 0.5
    return a.astype(dtype)


def _linalg_square_cases(op, seed, **kwargs):
    for dtype in DTYPES:
        for n in (1, 2, 5, 33, 100):
            a = _well_conditioned(n, dtype, seed + n)
            yield Case(f"{op} n={n} {np.dtype(dtype).name}", (a,), dict(kwargs), size=n,
                       tol=64)
        a = _well_conditioned(20, dtype, seed)
        yield Case(f"{op} F-order {np.dtype(dtype).name}", (np.asfortranarray(a),),
                   dict(kwargs), size=20, tol=64)


def cases_lu_factor():
    for case in _linalg_square_cases("lu_factor", 100):
        case.check = _check_lu_factor
        yield case
    for m, n in ((7, 3), (3, 7)):
        yield Case(f"lu_factor {m}x{n}", (_well_conditioned(n, np.float64, 1, m),),
                   check=_check_lu_factor)
    yield Case("lu_factor NaN", (np.array([[1.0, np.nan], [0.0, 1.0]]),), raises=ValueError)


def cases_lu():
    for case in _linalg_square_cases("lu", 110):
        case.check = _check_lu
        yield case
    a = _well_conditioned(4, np.float64, 2, 6)
    yield Case("lu 6x4", (a,), check=_check_lu)
    yield Case("lu permute_l", (a,), {"permute_l": True}, check=_check_lu)
    yield Case("lu p_indices", (a,), {"p_indices": True}, check=_check_lu)


def cases_lu_solve():
    import lamina.linalg as _la
    for dtype in DTYPES:
        for n in (1, 5, 40):
            a = _well_conditioned(n, dtype, 120 + n)
            b = _rng(n).standard_normal((n, 3)).astype(dtype)
            f = _la.lu_factor(a, backend="core")
            yield Case(f"lu_solve n={n} {np.dtype(dtype).name}", (f, b), size=n, tol=64)
            yield Case(f"lu_solve trans n={n} {np.dtype(dtype).name}", (f, b[:, 0]),
                       {"trans": 1}, size=n, tol=64)


def cases_solve():
    for dtype in DTYPES:
        for n in (1, 3, 50):
            a = _well_conditioned(n, dtype, 130 + n)
            b = _rng(n).standard_normal((n, 2)).astype(dtype)
            yield Case(f"solve n={n} {np.dtype(dtype).name}", (a, b), size=n, tol=64)
            yield Case(f"solve vector n={n} {np.dtype(dtype).name}", (a, b[:, 0]), size=n,
                       tol=64)
            spd = _spd(n, dtype, n)
            yield Case(f"solve pos n={n} {np.dtype(dtype).name}", (spd, b),
                       {"assume_a": "pos"}, size=n, tol=64)
        s = np.stack([_well_conditioned(4, dtype, 7), _well_conditioned(4, dtype, 8)])
        yield Case(f"solve stacked {np.dtype(dtype).name}",
                   (s, _rng(1).standard_normal((2, 4, 3)).astype(dtype)), size=4, tol=64)
    sing = np.ones((3, 3))
    yield Case("solve singular", (sing, np.ones(3)), raises=np.linalg.LinAlgError)
    yield Case("solve not square", (np.ones((2, 3)), np.ones(2)), raises=ValueError)


def cases_inv():
    yield from _linalg_square_cases("inv", 140)
    yield Case("inv singular", (np.zeros((3, 3)),), raises=np.linalg.LinAlgError)


def cases_det():
    yield from _linalg_square_cases("det", 150)
    yield Case("det singular", (np.ones((3, 3)),))
    yield Case("det stacked", (_rng(3).standard_normal((3, 4, 4)),), size=4, tol=64)


def cases_slogdet():
    yield from _linalg_square_cases("slogdet", 160)


def cases_cholesky():
    for dtype in DTYPES:
        for n in (1, 2, 5, 70, 150):
            a = _spd(n, dtype, n)
            for lower in (False, True):
                yield Case(f"cholesky n={n} lower={lower} {np.dtype(dtype).name}", (a,),
                           {"lower": lower}, size=n, tol=64)
    a = _spd(5, np.float64, 3)
    a[2, 2] = -1
    yield Case("cholesky not positive definite", (a,), raises=np.linalg.LinAlgError)


def cases_cho_factor():
    for dtype in DTYPES:
        for n in (1, 5, 70):
            for lower in (False, True):
                yield Case(f"cho_factor n={n} lower={lower} {np.dtype(dtype).name}",
                           (_spd(n, dtype, n),), {"lower": lower}, size=n, tol=64,
                           check=_check_cho_factor)


def cases_cho_solve():
    import lamina.linalg as _la
    for dtype in DTYPES:
        for n in (1, 5, 70):
            a = _spd(n, dtype, n)
            c = _la.cholesky(a, lower=True, backend="core")
            b = _rng(n).standard_normal((n, 2)).astype(dtype)
            yield Case(f"cho_solve n={n} {np.dtype(dtype).name}", ((c, True), b), size=n,
                       tol=64)


def cases_solve_triangular():
    for dtype in DTYPES:
        for n in (1, 5, 60):
            a = np.triu(_well_conditioned(n, dtype, 170 + n))
            b = _rng(n).standard_normal((n, 3)).astype(dtype)
            yield Case(f"solve_triangular n={n} {np.dtype(dtype).name}", (a, b), size=n,
                       tol=64)
            yield Case(f"solve_triangular trans lower n={n} {np.dtype(dtype).name}",
                       (a.T.copy(), b[:, 0]), {"trans": 1, "lower": True}, size=n, tol=64)


def cases_qr():
    for dtype in DTYPES:
        for m, n in ((1, 1), (5, 3), (3, 5), (40, 40), (130, 70)):
            a = _well_conditioned(n, dtype, 180 + m, m)
            for mode in ("reduced", "complete", "r"):
                yield Case(f"qr {m}x{n} {mode} {np.dtype(dtype).name}", (a,), {"mode": mode},
                           size=max(m, n), tol=64, check=_check_qr)
    yield Case("qr bad mode", (np.eye(2),), {"mode": "bogus"}, raises=ValueError)


def cases_qr_multiply():
    for dtype in DTYPES:
        for m, n in ((6, 4), (4, 6), (50, 30)):
            a = _well_conditioned(n, dtype, 190 + m, m)
            c = _rng(m).standard_normal((3, m)).astype(dtype)
            yield Case(f"qr_multiply right {m}x{n} {np.dtype(dtype).name}", (a, c),
                       size=max(m, n), check=_check_qr_multiply)
            c = _rng(m).standard_normal((min(m, n), 2)).astype(dtype)
            yield Case(f"qr_multiply left {m}x{n} {np.dtype(dtype).name}", (a, c),
                       {"mode": "left"}, size=max(m, n), check=_check_qr_multiply)


def cases_lstsq():
    for dtype in DTYPES:
        for m, n in ((5, 3), (60, 20), (3, 5), (20, 20)):
            a = _well_conditioned(n, dtype, 200 + m, m)
            b = _rng(m).standard_normal((m, 2)).astype(dtype)
            yield Case(f"lstsq {m}x{n} {np.dtype(dtype).name}", (a, b), size=max(m, n),
                       tol=256, check=_check_lstsq)
        r = _rng(5)
        a = (r.standard_normal((12, 3)) @ r.standard_normal((3, 8))).astype(dtype)
        yield Case(f"lstsq rank 3 {np.dtype(dtype).name}", (a, r.standard_normal(12).astype(dtype)),
                   size=12, tol=4096, check=_check_lstsq)


def cases_matrix_norm():
    r = _rng(210)
    for dtype in DTYPES:
        a = r.standard_normal((3, 7, 5)).astype(dtype)
        for ord in ("fro", 1, -1, np.inf, -np.inf):
            yield Case(f"matrix_norm ord={ord} {np.dtype(dtype).name}", (a,), {"ord": ord},
                       size=35)
        for ord in (2, -2, "nuc"):
            yield Case(f"matrix_norm ord={ord} {np.dtype(dtype).name}", (a,), {"ord": ord},
                       size=35, tol=64)


def cases_norm():
    r = _rng(220)
    for dtype in DTYPES:
        a = r.standard_normal((6, 5)).astype(dtype)
        for ord in (None, "fro", 1, np.inf):
            yield Case(f"norm matrix ord={ord} {np.dtype(dtype).name}", (a,), {"ord": ord},
                       size=30)
        for ord in (2, -2, "nuc"):
            yield Case(f"norm matrix ord={ord} {np.dtype(dtype).name}", (a,), {"ord": ord},
                       size=30, tol=64)
        yield Case(f"norm vector {np.dtype(dtype).name}", (a[0],), size=5)
        yield Case(f"norm axis pair {np.dtype(dtype).name}", (a[None],), {"axis": (1, 2)},
                   size=30)


def cases_cond():
    for dtype in DTYPES:
        for n in (2, 10, 60):
            a = _rng(230 + n).standard_normal((n, n)).astype(dtype)
            for p in (None, 1, -1, 2, -2, np.inf, "fro", "nuc"):
                yield Case(f"cond n={n} p={p} {np.dtype(dtype).name}", (a,), {"p": p},
                           check=_check_cond)
        yield Case(f"cond 7x4 {np.dtype(dtype).name}",
                   (_rng(239).standard_normal((7, 4)).astype(dtype),), check=_check_cond)
    yield Case("cond singular", (np.ones((3, 3)),), check=_check_cond)

# -- symmetric eigenproblem and SVD: eigenvalues and singular values compared with the
# core's, eigenvectors and singular vectors by reconstruction and orthogonality (their
# signs, and bases of repeated values, are not unique).

def _symmetric(n, dtype, seed):
    g = _rng(seed).standard_normal((n, n))
    return ((g + g.T) / 2).astype(dtype)


def _check_orthonormal_columns(q, label):
    q64 = np.asarray(q, np.float64)
    return _ratio_ok(_n1(np.eye(q64.shape[1]) - q64.T @ q64), 1.0, q, label)


def _check_eigh(actual, expected, case):
    if case.kwargs.get("eigvals_only", False):
        return _compare(actual, expected, case)
    w, v = (np.asarray(t) for t in actual)
    ew, ev = (np.asarray(t) for t in expected)
    if v.shape != ev.shape or v.dtype != ev.dtype:
        return f"eigenvectors have shape {v.shape} / {v.dtype}, core {ev.shape} / {ev.dtype}"
    msg = _compare(w, ew, case)
    if msg:
        return "eigenvalues: " + msg
    a = np.asarray(case.args[0], np.float64)
    lower = case.kwargs.get("lower", True)
    tri = (np.tril(a), np.tril(a, -1)) if lower else (np.triu(a), np.triu(a, 1))
    sym = tri[0] + np.swapaxes(tri[1], -1, -2)
    v64 = v.astype(np.float64)
    # A V = V diag(w) for the returned (possibly partial) set of vectors.
    msg = _ratio_ok(_n1(sym @ v64 - v64 * w.astype(np.float64)[..., None, :]), _n1(sym), v,
                    "A V - V W")
    for idx in np.ndindex(*v.shape[:-2]):
        msg = msg or _check_orthonormal_columns(v[idx], "I - V^T V")
    return msg


def _check_svd(actual, expected, case):
    if not case.kwargs.get("compute_uv", True):
        return _compare(actual, expected, case)
    u, s, vt = (np.asarray(t) for t in actual)
    eu, es, evt = (np.asarray(t) for t in expected)
    if u.shape != eu.shape or vt.shape != evt.shape or u.dtype != eu.dtype:
        return (f"U, Vh have shapes {u.shape}, {vt.shape} ({u.dtype}); core {eu.shape}, "
                f"{evt.shape} ({eu.dtype})")
    msg = _compare(s, es, case)
    if msg:
        return "singular values: " + msg
    a = np.asarray(case.args[0], np.float64)
    k = s.shape[-1]
    rec = (u[..., :k].astype(np.float64) * s.astype(np.float64)[..., None, :]) @ vt[..., :k, :]
    msg = _ratio_ok(_n1(a - rec), _n1(a), u, "A - U S Vh")
    if msg:
        return msg
    for idx in np.ndindex(*u.shape[:-2]):
        msg = (_check_orthonormal_columns(u[idx], "I - U^T U")
               or _check_orthonormal_columns(vt[idx].T, "I - Vh Vh^T"))
        if msg:
            return msg
    return None


def _check_randomized_svd(actual, expected, case):
    """Same shapes, orthonormal factors, leading singular values and a spectral error no
    worse than 1.5 times the core's (the random test matrices may differ)."""
    u, s, vt = (np.asarray(t) for t in actual)
    eu, es, evt = (np.asarray(t) for t in expected)
    if u.shape != eu.shape or s.shape != es.shape or vt.shape != evt.shape:
        return f"shapes {u.shape}, {s.shape}, {vt.shape} differ from the core's"
    if u.dtype != eu.dtype:
        return f"dtype {u.dtype} != core's {eu.dtype}"
    e = _eps_of(u)
    a = np.asarray(case.args[0], np.float64)
    if not np.allclose(s, es, rtol=1e3 * e, atol=1e3 * e * float(es[0])):
        return f"singular values {s} differ from the core's {es}"
    err = np.linalg.norm(a - (u.astype(np.float64) * s) @ vt, 2)
    err_core = np.linalg.norm(a - (eu.astype(np.float64) * es) @ evt, 2)
    if err > 1.5 * err_core + 1e3 * e * float(es[0]):
        return f"spectral error {err:.3g} exceeds 1.5 x the core's {err_core:.3g}"
    return (_check_orthonormal_columns(u, "I - U^T U")
            or _check_orthonormal_columns(vt.T, "I - Vh Vh^T"))


def cases_eigh():
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for n in (1, 2, 5, 33, 80):
            a = _symmetric(n, dtype, 240 + n)
            yield Case(f"eigh n={n} {name}", (a,), size=n, tol=64, check=_check_eigh)
        a = _symmetric(20, dtype, 250)
        yield Case(f"eigh upper {name}", (np.triu(a),), {"lower": False}, size=20, tol=64,
                   check=_check_eigh)
        yield Case(f"eigh eigvals_only {name}", (a,), {"eigvals_only": True}, size=20,
                   tol=64, check=_check_eigh)
        yield Case(f"eigh subset {name}", (a,), {"subset_by_index": (2, 7)}, size=20, tol=64,
                   check=_check_eigh)
        yield Case(f"eigh stacked {name}",
                   (np.stack([_symmetric(6, dtype, 251), _symmetric(6, dtype, 252)]),),
                   size=6, tol=64, check=_check_eigh)
    yield Case("eigh not square", (np.ones((2, 3)),), raises=ValueError)
    yield Case("eigh NaN", (np.array([[1.0, np.nan], [np.nan, 1.0]]),), raises=ValueError)


def cases_eigvalsh():
    for dtype in DTYPES:
        for n in (1, 3, 40):
            yield Case(f"eigvalsh n={n} {np.dtype(dtype).name}", (_symmetric(n, dtype, 260 + n),),
                       size=n, tol=64)
        yield Case(f"eigvalsh upper {np.dtype(dtype).name}", (_symmetric(9, dtype, 269),),
                   {"lower": False}, size=9, tol=64)


def cases_svd():
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for m, n in ((1, 1), (5, 3), (3, 5), (40, 40), (130, 30), (30, 130)):
            a = _rng(270 + m + n).standard_normal((m, n)).astype(dtype)
            for full in (False, True):
                yield Case(f"svd {m}x{n} full={full} {name}", (a,), {"full_matrices": full},
                           size=max(m, n), tol=64, check=_check_svd)
            yield Case(f"svd {m}x{n} values {name}", (a,), {"compute_uv": False},
                       size=max(m, n), tol=64, check=_check_svd)
        a = _rng(280).standard_normal((2, 7, 4)).astype(dtype)
        yield Case(f"svd stacked {name}", (a,), {"full_matrices": False}, size=7, tol=64,
                   check=_check_svd)
    yield Case("svd bad method", (np.eye(2),), {"method": "qr"}, raises=ValueError)


def cases_svdvals():
    for dtype in DTYPES:
        for m, n in ((1, 1), (6, 4), (4, 6), (50, 50)):
            a = _rng(290 + m * n).standard_normal((m, n)).astype(dtype)
            yield Case(f"svdvals {m}x{n} {np.dtype(dtype).name}", (a,), size=max(m, n),
                       tol=64)


def cases_randomized_svd():
    for dtype in DTYPES:
        for m, n in ((120, 60), (60, 120)):
            r = _rng(300 + m)
            k = min(m, n)
            u = np.linalg.qr(r.standard_normal((m, k)))[0]
            v = np.linalg.qr(r.standard_normal((n, k)))[0]
            a = ((u * 0.7 ** np.arange(k)) @ v.T).astype(dtype)
            yield Case(f"randomized_svd {m}x{n} {np.dtype(dtype).name}", (a, 5),
                       {"random_state": 0}, check=_check_randomized_svd)
    yield Case("randomized_svd too many components", (np.ones((4, 3)), 4), raises=ValueError)


def cases_pinv():
    for dtype in DTYPES:
        for m, n in ((1, 1), (6, 4), (4, 6), (30, 30)):
            a = _well_conditioned(n, dtype, 310 + m, m)
            yield Case(f"pinv {m}x{n} {np.dtype(dtype).name}", (a,), size=max(m, n), tol=256)
        r = _rng(319)
        a = (r.standard_normal((8, 3)) @ r.standard_normal((3, 6))).astype(dtype)
        yield Case(f"pinv rank 3 {np.dtype(dtype).name}", (a,), size=8, tol=4096)


def cases_matrix_rank():
    r = _rng(320)
    for dtype in DTYPES:
        for m, n, k in ((6, 6, 6), (10, 5, 2), (5, 10, 3), (4, 4, 0)):
            a = (r.standard_normal((m, k)) @ r.standard_normal((k, n))).astype(dtype)
            yield Case(f"matrix_rank {m}x{n} rank {k} {np.dtype(dtype).name}", (a,))
        yield Case(f"matrix_rank stacked {np.dtype(dtype).name}",
                   (np.stack([np.eye(3, dtype=dtype), np.diag([1, 0, 0]).astype(dtype)]),))



def cases_linear_softmax_cross_entropy():
    r = _rng(21)
    for dtype in DTYPES:
        name = np.dtype(dtype).name
        for n, hidden, vocab in ((1, 3, 2), (20, 8, 30), (33, 5, 300)):
            h = r.standard_normal((n, hidden)).astype(dtype)
            w = r.standard_normal((vocab, hidden)).astype(dtype)
            b = r.standard_normal(vocab).astype(dtype)
            y = r.integers(0, vocab, n)
            yield Case(f"linear_softmax_ce {n}x{hidden}x{vocab} {name}", (h, w, b, y),
                       {"chunk_bytes": 7 * vocab * np.dtype(dtype).itemsize},
                       size=max(n, vocab) * hidden, tol=16)
        y_ign = r.integers(0, 30, 20)
        y_ign[::3] = -1
        yield Case(f"linear_softmax_ce ignore_index sum {name}",
                   (r.standard_normal((20, 8)).astype(dtype),
                    r.standard_normal((30, 8)).astype(dtype), np.zeros(30, dtype), y_ign),
                   {"ignore_index": -1, "reduction": "sum"}, size=20 * 30, tol=16)
    yield Case("linear_softmax_ce shape mismatch",
               (np.ones((3, 2)), np.ones((4, 3)), np.zeros(4), np.array([0, 1, 2])),
               raises=ValueError)


CASES = {
    "linear_softmax_cross_entropy": cases_linear_softmax_cross_entropy,
    "dot": cases_dot,
    "axpy": cases_axpy,
    "scal": cases_scal,
    "nrm2": cases_nrm2,
    "asum": cases_asum,
    "iamax": cases_iamax,
    "vector_norm": cases_vector_norm,
    "gemv": cases_gemv,
    "ger": cases_ger,
    "outer": cases_outer,
    "matvec": cases_matvec,
    "matmul": cases_matmul,
    "gemm": cases_gemm,
    "trsm": cases_trsm,
    "trmm": cases_trmm,
    "syrk": cases_syrk,
    "softmax_cross_entropy": cases_softmax_cross_entropy,
    "sigmoid_binary_cross_entropy": cases_sigmoid_binary_cross_entropy,
    "mse": cases_mse,
    "mae": cases_mae,
    "huber": cases_huber,
    "smooth_l1": cases_smooth_l1,
    "log_cosh": cases_log_cosh,
    "hinge": cases_hinge,
    "kl_divergence": cases_kl_divergence,
    "l2_penalty": cases_l2_penalty,
    "l1_penalty": cases_l1_penalty,
    "elastic_net_penalty": cases_elastic_net_penalty,
    "csr_matvec": cases_csr_matvec,
    "csr_matmat": cases_csr_matmat,
    "cg": cases_cg,
    "minres": cases_minres,
    "gmres": cases_gmres,
    "bicgstab": cases_bicgstab,
    "jacobi": cases_jacobi,
    "gauss_seidel": cases_gauss_seidel,
    "sor": cases_sor,
    "lu_factor": cases_lu_factor,
    "lu": cases_lu,
    "lu_solve": cases_lu_solve,
    "solve": cases_solve,
    "inv": cases_inv,
    "det": cases_det,
    "slogdet": cases_slogdet,
    "cholesky": cases_cholesky,
    "cho_factor": cases_cho_factor,
    "cho_solve": cases_cho_solve,
    "solve_triangular": cases_solve_triangular,
    "qr": cases_qr,
    "qr_multiply": cases_qr_multiply,
    "lstsq": cases_lstsq,
    "matrix_norm": cases_matrix_norm,
    "norm": cases_norm,
    "cond": cases_cond,
    "eigh": cases_eigh,
    "eigvalsh": cases_eigvalsh,
    "svd": cases_svd,
    "svdvals": cases_svdvals,
    "randomized_svd": cases_randomized_svd,
    "pinv": cases_pinv,
    "matrix_rank": cases_matrix_rank,
}
