"""Fused losses over row chunks.

Each row block calls lamina's loss with ``reduction="sum"`` (or ``"none"``) and also
returns its share of the mean's denominator (the sum of the sample weights, times the
class weights of the true labels for cross-entropy, times the elements per row for the
element-wise losses).  The total loss is ``sum_i loss_i / sum_i denom_i``, and each block's
gradient is scaled by the same ``1 / sum_i denom_i`` on its worker: gradient blocks never
leave the cluster unless the caller computes them.
"""

import dask
import dask.array as da
import numpy as np

from lamina_dask import _threads
from lamina_dask._common import CORE, as_dask, row_blocks, rows_whole

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _softmax_block(x, target, sw, kwargs, reduction, n_threads):
    import lamina.losses

    red = "none" if reduction == "none" else "sum"
    loss, grad = lamina.losses.softmax_cross_entropy(x, target, reduction=red,
                                                     sample_weight=sw, n_threads=n_threads,
                                                     backend=CORE,
                                                     **kwargs)
    n = x.shape[0]
    w = np.ones(n) if sw is None else np.asarray(sw, dtype=np.float64)
    t = np.asarray(target)
    if t.dtype.kind in "iu":
        ignore = kwargs.get("ignore_index")
        keep = np.ones(n, bool) if ignore is None else t != ignore
        cw = kwargs.get("class_weight")
        if cw is not None:
            w = w * np.asarray(cw, dtype=np.float64)[np.where(keep, t, 0)]
        w = w * keep
    return loss, grad, float(w.sum())


def _elementwise_block(op, x, target, sw, kwargs, reduction, per_row, n_threads):
    import lamina.losses

    red = "none" if reduction == "none" else "sum"
    loss, grad = getattr(lamina.losses, op)(x, target, reduction=red, sample_weight=sw,
                                            n_threads=n_threads, backend=CORE,
                                            **kwargs)
    n = x.shape[0] if x.ndim else 1
    per_sample = 1 if per_row else int(np.prod(x.shape[1:], dtype=np.int64))
    w = float(n) if sw is None else float(np.sum(np.asarray(sw, dtype=np.float64)))
    return loss, grad, w * per_sample


def _scale(grad, total):
    return grad * grad.dtype.type(1.0 / total if total > 0 else 0.0)


def _mean(losses, total, dtype):
    return dtype.type(sum(float(v) for v in losses) / total if total > 0 else 0.0)


def _sum(losses, dtype):
    return dtype.type(sum(float(v) for v in losses))


def _assemble(parts, x, reduction, loss_tail):
    """(loss, grad) dask arrays from per-block (loss, grad, denom) delayed triples;
    ``loss_tail`` is the per-row shape of ``reduction="none"`` losses."""
    dtype = x.dtype
    rows = x.chunks[0]
    tail = x.shape[1:]
    if reduction == "mean":
        total = dask.delayed(sum, pure=True)([p[2] for p in parts])
        loss = da.from_delayed(dask.delayed(_mean, pure=True)([p[0] for p in parts], total,
                                                               dtype), shape=(), dtype=dtype)
        grads = [da.from_delayed(dask.delayed(_scale, pure=True)(p[1], total),
                                 shape=(r,) + tail, dtype=dtype)
                 for p, r in zip(parts, rows, strict=True)]
    else:
        grads = [da.from_delayed(p[1], shape=(r,) + tail, dtype=dtype)
                 for p, r in zip(parts, rows, strict=True)]
        if reduction == "sum":
            loss = da.from_delayed(dask.delayed(_sum, pure=True)([p[0] for p in parts],
                                                                  dtype),
                                   shape=(), dtype=dtype)
        else:
            loss = da.concatenate([da.from_delayed(p[0], shape=(r,) + loss_tail,
                                                   dtype=dtype)
                                   for p, r in zip(parts, rows, strict=True)])
    return loss, da.concatenate(grads, axis=0)


def _validate_labels(target, n, c, ignore_index):
    t = target if isinstance(target, da.Array) else np.asarray(target)
    if t.shape != (n,):
        raise ValueError(f"target must have shape ({n},), got {t.shape}")
    keep = t if ignore_index is None else (
        da.where(t != ignore_index, t, 0) if isinstance(t, da.Array)
        else np.where(t != ignore_index, t, 0))
    if n == 0:
        return
    lo, hi = dask.compute(keep.min(), keep.max())
    if lo < 0 or hi >= c:
        raise ValueError(f"target holds {int(lo) if lo < 0 else int(hi)}, not a class index "
                         f"in [0, {c})")


def _weights(sample_weight, n):
    if sample_weight is None:
        return None
    sw = sample_weight if isinstance(sample_weight, da.Array) else np.asarray(
        sample_weight, dtype=np.float64)
    if sw.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {sw.shape}")
    return sw


def softmax_cross_entropy(logits, target, *, class_weight=None, label_smoothing=0.0,
                          ignore_index=None, reduction="mean", sample_weight=None,
                          grad_out=None):
    _check_reduction(reduction)
    if grad_out is not None:
        raise TypeError("grad_out is not supported for dask arrays (results are lazy)")
    x = rows_whole(as_dask(logits, "logits", ndim=2))
    n, c = x.shape
    t_kind = np.dtype(getattr(target, "dtype", np.asarray(target).dtype)).kind
    if t_kind in "iu":
        _validate_labels(target, n, c, ignore_index)
    elif t_kind == "f":
        if tuple(target.shape) != (n, c):
            raise ValueError("target must be integer labels (N,) or probabilities (N, C), "
                             f"got shape {tuple(target.shape)}")
    else:
        raise ValueError("target must be integer labels (N,) or probabilities (N, C)")
    sw = _weights(sample_weight, n)
    cw = None if class_weight is None else np.asarray(
        class_weight.compute() if isinstance(class_weight, da.Array) else class_weight)
    kwargs = {"class_weight": cw, "label_smoothing": label_smoothing,
              "ignore_index": ignore_index}
    threads = _threads.current()
    rows = x.chunks[0]
    xs = x.to_delayed()[:, 0]
    ts = row_blocks(target, rows)
    sws = row_blocks(sw, rows) if sw is not None else [None] * len(rows)
    parts = [dask.delayed(_softmax_block, nout=3, pure=True)(xb, tb, wb, kwargs, reduction,
                                                             threads)
             for xb, tb, wb in zip(xs, ts, sws, strict=True)]
    return _assemble(parts, x, reduction, ())


def elementwise(op, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
                check_target=None, **kwargs):
    _check_reduction(reduction)
    if grad_out is not None:
        raise TypeError("grad_out is not supported for dask arrays (results are lazy)")
    x = as_dask(pred, "pred")
    if x.ndim == 0:
        x = x.reshape(1)
        scalar = True
    else:
        scalar = False
    x = rows_whole(x)
    t = as_dask(target, "target")
    if scalar:
        t = t.reshape(1) if t.ndim == 0 else t
    if t.shape != x.shape:
        raise ValueError(f"target must have the prediction's shape {x.shape}, got {t.shape}")
    if check_target is not None and t.size:
        lo, hi = dask.compute(t.min(), t.max())
        check_target(lo, hi)
    n = x.shape[0]
    sw = _weights(sample_weight, n)
    threads = _threads.current()
    rows = x.chunks[0]
    per_row = op == "kl_divergence" and x.ndim > 1
    xs = x.to_delayed().reshape(-1)
    ts = row_blocks(t, rows)
    sws = row_blocks(sw, rows) if sw is not None else [None] * len(rows)
    parts = [dask.delayed(_elementwise_block, nout=3, pure=True)(op, xb, tb, wb, kwargs,
                                                                 reduction, per_row, threads)
             for xb, tb, wb in zip(xs, ts, sws, strict=True)]
    loss, grad = _assemble(parts, x, reduction, x.shape[1:])
    if scalar:
        grad = grad.reshape(())
        if reduction == "none":
            loss = loss.reshape(())
    return loss, grad
