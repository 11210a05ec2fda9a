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
}
