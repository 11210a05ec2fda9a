"""The backend object lamina loads from the ``lamina.backends`` entry point."""

import dataclasses

import dask.array as da
import numpy as np

from lamina_dask import __version__, _losses, _rsvd
from lamina_dask._cg import cg as _cg
from lamina_dask._matmul import matmul as _matmul
from lamina_dask._matmul import matvec as _matvec
from lamina_dask._tsqr import tsqr


class DaskBackend:
    """lamina's operations on ``dask.array`` inputs, one lamina kernel per chunk.

    Results are lazy dask arrays (``cg`` iterates, so its ``x`` is computed; it is
    returned as a dask array chunked like ``b``).  ``n_threads`` is replaced by the
    per-task count of :func:`lamina_dask.task_threads`.
    """

    name = "dask"
    __version__ = __version__

    def asarray(self, x, *, device=None):
        """NumPy to dask (automatic chunks along the rows only)."""
        if device not in (None, "cpu"):
            raise ValueError(f"lamina-dask runs on CPU workers, not {device!r}")
        if isinstance(x, da.Array):
            return x
        if dataclasses.is_dataclass(x) and not isinstance(x, type) and hasattr(x, "x"):
            return dataclasses.replace(x, x=self.asarray(x.x))        # a SolveResult
        arr = np.asarray(x)
        chunks = ("auto",) + (-1,) * (arr.ndim - 1) if arr.ndim else ()
        return da.from_array(arr, chunks=chunks)

    def to_numpy(self, x):
        """Compute dask arrays (on the active scheduler); other values unchanged."""
        if isinstance(x, da.Array):
            return np.asarray(x.compute())
        if dataclasses.is_dataclass(x) and not isinstance(x, type) and hasattr(x, "x"):
            return dataclasses.replace(x, x=self.to_numpy(x.x))       # a SolveResult
        return x

    def can_run(self, op, args, kwargs):
        if op == "qr":
            mode = kwargs.get("mode", args[1] if len(args) > 1 else "reduced")
            if kwargs.get("pivoting"):
                return "TSQR has no column pivoting"
            if mode == "raw":
                return "qr mode='raw' is not offered by TSQR"
        if op == "cg":
            if kwargs.get("M") is not None:
                return "lamina-dask's cg takes no preconditioner"
        return True

    # -- products -----------------------------------------------------------------------
    def matmul(self, a, b, out=None, *, n_threads=None):
        if out is not None:
            raise TypeError("out= is not supported for dask arrays (results are lazy)")
        return _matmul(a, b)

    def matvec(self, a, x, *, out=None, n_threads=None):
        if out is not None:
            raise TypeError("out= is not supported for dask arrays (results are lazy)")
        return _matvec(a, x)

    # -- factorizations -----------------------------------------------------------------
    def qr(self, a, mode="reduced", pivoting=False, overwrite_a=False, check_finite=True, *,
           n_threads=None):
        names = {"reduced": "reduced", "economic": "reduced", "complete": "complete",
                 "full": "complete", "r": "r", "raw": "raw"}
        if mode not in names:
            raise ValueError(f"mode must be one of {sorted(names)}, got {mode!r}")
        verdict = self.can_run("qr", (a,), {"mode": mode, "pivoting": pivoting})
        if verdict is not True:
            from lamina import BackendNotImplemented
            raise BackendNotImplemented(verdict)
        return tsqr(a, mode=names[mode])

    def randomized_svd(self, a, n_components, n_oversamples=10, n_iter="auto",
                       power_iteration_normalizer="auto", random_state=None, flip_sign=True,
                       *, transpose="auto", n_threads=None):
        return _rsvd.randomized_svd(
            a, n_components, n_oversamples=n_oversamples, n_iter=n_iter,
            power_iteration_normalizer=power_iteration_normalizer, random_state=random_state,
            flip_sign=flip_sign, transpose=transpose)

    def svdvals(self, a, overwrite_a=False, check_finite=True, *, n_threads=None):
        return _rsvd.svdvals(a)

    # -- solvers ------------------------------------------------------------------------
    def cg(self, A, b, x0=None, *, rtol=1e-5, atol=0.0, maxiter=None, M=None, callback=None,
           progress=False, n_threads=None):
        return _cg(A, b, x0, rtol=rtol, atol=atol, maxiter=maxiter, M=M, callback=callback,
                   progress=progress)

    # -- losses -------------------------------------------------------------------------
    def softmax_cross_entropy(self, logits, target, *, class_weight=None, label_smoothing=0.0,
                              ignore_index=None, reduction="mean", sample_weight=None,
                              grad_out=None, n_threads=None):
        return _losses.softmax_cross_entropy(
            logits, target, class_weight=class_weight, label_smoothing=label_smoothing,
            ignore_index=ignore_index, reduction=reduction, sample_weight=sample_weight,
            grad_out=grad_out)

    def sigmoid_binary_cross_entropy(self, logits, target, *, pos_weight=None,
                                     reduction="mean", sample_weight=None, grad_out=None,
                                     n_threads=None):
        def check(lo, hi):
            if lo < 0 or hi > 1:
                raise ValueError("target must hold probabilities in [0, 1]")

        pw = pos_weight.compute() if isinstance(pos_weight, da.Array) else pos_weight
        return _losses.elementwise("sigmoid_binary_cross_entropy", logits, target,
                                   reduction=reduction, sample_weight=sample_weight,
                                   grad_out=grad_out, check_target=check, pos_weight=pw)

    def mse(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        return _losses.elementwise("mse", pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out)

    def mae(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        return _losses.elementwise("mae", pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out)

    def huber(self, pred, target, *, delta=1.0, reduction="mean", sample_weight=None,
              grad_out=None, n_threads=None):
        return _losses.elementwise("huber", pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out,
                                   delta=delta)

    def smooth_l1(self, pred, target, *, beta=1.0, reduction="mean", sample_weight=None,
                  grad_out=None, n_threads=None):
        return _losses.elementwise("smooth_l1", pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out, beta=beta)

    def log_cosh(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
                 n_threads=None):
        return _losses.elementwise("log_cosh", pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out)

    def kl_divergence(self, log_pred, target, *, reduction="mean", sample_weight=None,
                      grad_out=None, n_threads=None):
        return _losses.elementwise("kl_divergence", log_pred, target, reduction=reduction,
                                   sample_weight=sample_weight, grad_out=grad_out)
