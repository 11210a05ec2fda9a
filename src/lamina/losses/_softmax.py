"""Softmax cross-entropy: the fused loss and gradient of a classifier's logits."""

import numpy as np

from lamina._config import resolve_threads
from lamina._kernels import _losses
from lamina._registry import dispatchable
from lamina._validation import as_float_array, check_scalar
from lamina.losses._common import (
    check_no_nan,
    check_reduction,
    finish_grad,
    grad_buffer,
    sample_weights,
    scalar_result,
)

__all__ = ["softmax_cross_entropy"]


def _unit_columns(a):
    """``a`` itself when its rows are unit-stride (any row stride), else a C copy."""
    if a.shape[1] <= 1 or a.strides[1] == a.itemsize:
        return a
    return np.ascontiguousarray(a)


def _check_total(total, row_loss):
    """Raise for a NaN total, naming the first row whose loss is NaN."""
    if total != total:
        i = int(np.argmax(np.isnan(row_loss)))
        raise ValueError(f"softmax cross-entropy is undefined for row {i} of logits: it "
                         "holds NaN or +inf, or every entry is -inf")


def _mean_over_labels(x, labels, n_threads, grad=None, row_loss=None):
    """``softmax_cross_entropy(x, labels)`` for a training loop that validated its arrays
    once: ``x`` C-contiguous float32/float64 logits (N, C), ``labels`` a contiguous int64
    array of shape (N,) (the kernel still checks their range as it reads them).  Skips the
    public function's argument handling, which costs as much as the kernel on a
    mini-batch's 128 x 10 logits.  ``grad`` (C-contiguous, x's shape and dtype, not
    overlapping x) and ``row_loss`` (float64, N) may be passed in to be reused.  Returns
    ``(loss, grad)`` like it."""
    n = x.shape[0]
    if grad is None:
        grad = np.empty_like(x)
    if row_loss is None:
        row_loss = np.empty(n)
    total = _losses.softmax_cross_entropy(x, labels, None, None, None, 0.0, False, 0,
                                          1.0 / n if n else 0.0, grad, row_loss, n_threads)
    _check_total(total, row_loss)
    return scalar_result(total / n if n else 0.0, x.dtype), grad


def _labels(target, n, n_classes, ignore_index, *, check=True):
    """int64 labels of shape (n,); ``check=False`` leaves the range check to the softmax
    kernel, which raises the same error while it reads them."""
    labels = np.asarray(target)
    if labels.shape != (n,):
        raise ValueError(f"integer target must have shape ({n},) (one class per row of "
                         f"logits), got {labels.shape}")
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    if not check or n == 0 or (ignore_index is None and 0 <= labels.min()
                               and labels.max() < n_classes):
        return labels                  # the common case: two passes, no temporaries
    bad = (labels < 0) | (labels >= n_classes)
    if ignore_index is not None:
        bad &= labels != ignore_index
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"target[{i}] = {labels[i]} is not a class index in [0, {n_classes})")
    return labels


def _probabilities(target, shape, dtype):
    q = as_float_array(target, "target", ndim=2)
    if q.shape != shape:
        raise ValueError(f"probability target must have the logits' shape {shape}, got "
                         f"{q.shape}")
    q = _unit_columns(q.astype(dtype, copy=False))
    check_no_nan(q, "target")
    if q.size and (q < 0).any():
        i = np.unravel_index(int(np.argmax(q < 0)), q.shape)
        raise ValueError(f"probability target must be non-negative, got {q[i]} at {i}")
    return q


@dispatchable("softmax_cross_entropy")
def softmax_cross_entropy(logits, target, *, class_weight=None, label_smoothing=0.0,
                          ignore_index=None, reduction="mean", sample_weight=None,
                          grad_out=None, n_threads=None):
    """Softmax cross-entropy of logits and its gradient, in one pass.

    For row i with logits x, p = softmax(x) and target distribution q (one-hot for an
    integer label, smoothed to ``(1 - eps) q + eps / C`` with ``label_smoothing=eps``),
    the loss is ``l_i = -sum_j c_j q_j log p_j`` with class weights ``c`` (1 by default),
    and the gradient ``dl_i/dx_j = (sum_k c_k q_k) p_j - c_j q_j``.

    Parameters
    ----------
    logits : array_like, shape (N, C)
        Unnormalized scores.  float32 stays float32.  Any strides; rows with unit column
        stride are read in place.
    target : array_like
        Integer class labels of shape (N,), or a probability matrix of shape (N, C)
        (non-negative; rows are used as given, not renormalized).
    class_weight : array_like, shape (C,), optional
        Non-negative weight per class.  With integer labels the weight of the label class
        also weights the sample in the mean (PyTorch's convention).
    label_smoothing : float in [0, 1]
        Mix the target with the uniform distribution.
    ignore_index : int, optional
        Rows whose label equals it contribute neither loss nor gradient, and are left out
        of the mean.  Integer labels only.
    reduction : {"mean", "sum", "none"}
        "mean" divides the weighted sum by the total weight (``sum_i s_i c_{y_i}`` over
        non-ignored rows for labels, ``sum_i s_i`` for probabilities; the row count when
        unweighted); a total weight of 0 gives loss 0 and a zero gradient.  "none" returns
        the per-row losses, and ``grad`` is then the gradient of their sum.
    sample_weight : array_like, shape (N,), optional
        Non-negative weight per row.
    grad_out : ndarray, shape (N, C), optional
        Buffer of the logits' dtype that receives the gradient (nothing is allocated for
        it).  Any layout; a C-contiguous one not aliasing an input is written directly.
    n_threads : int, optional
        OpenMP threads over rows.  Results are identical for every thread count (row
        losses are added in row order).

    Returns
    -------
    loss : numpy scalar or ndarray of shape (N,)
    grad : ndarray, shape (N, C)
        Gradient of ``loss`` with respect to ``logits``.

    Raises
    ------
    ValueError
        Bad shapes, a label outside ``[0, C)`` (naming the first bad index and value), a
        target that is neither labels nor probabilities, negative or NaN weights or
        probabilities, or a row whose loss is undefined (a NaN or +inf logit, or every
        logit -inf).

    Notes
    -----
    One read of the logits with a chunked online max-and-sum (Milakov & Gimelshein,
    2018), one write of the gradient and one vectorized exp per element; no temporaries of
    the logits' size (a probability target with label smoothing is the exception: the
    smoothed target is formed once).  Logits of +-1e4, all-equal rows and rows that are
    -inf except for the label all give finite, correct results.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.losses import softmax_cross_entropy
    >>> loss, grad = softmax_cross_entropy(np.array([[2.0, 0.0, 0.0]]), np.array([0]))
    >>> round(float(loss), 4)
    0.2395
    >>> np.round(grad, 4)
    array([[-0.213 ,  0.1065,  0.1065]])
    """
    check_reduction(reduction)
    x = as_float_array(logits, "logits", ndim=2)
    x = _unit_columns(x)
    dtype = x.dtype
    n, c = x.shape
    if c == 0 and n:
        raise ValueError("logits must have at least one class (C >= 1)")
    eps = check_scalar(label_smoothing, "label_smoothing")
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {eps}")
    t = np.asarray(target) if not isinstance(target, np.ndarray) else target
    labels = q = None
    if t.dtype.kind in "iu":
        labels = _labels(t, n, c, ignore_index, check=False)
    elif t.dtype.kind == "f" and t.ndim == 2:
        if ignore_index is not None:
            raise ValueError("ignore_index applies to integer labels, not to a probability "
                             "target")
        q = _probabilities(t, (n, c), dtype)
        if eps:
            q = (1.0 - eps) * q + eps / c
            q = q.astype(dtype, copy=False)
    else:
        raise ValueError("target must be integer class labels of shape (N,) or class "
                         f"probabilities of shape (N, C) = {(n, c)}; got dtype {t.dtype} and "
                         f"shape {t.shape}")
    cw = None
    if class_weight is not None:
        cw = as_float_array(class_weight, "class_weight", ndim=1)
        if cw.shape[0] != c:
            raise ValueError(f"class_weight must have length C = {c}, got shape {cw.shape}")
        cw = np.ascontiguousarray(cw, dtype=dtype)
        if not np.isfinite(cw).all() or (cw < 0).any():
            raise ValueError("class_weight must be finite and non-negative")
    sw = sample_weights(sample_weight, n, dtype)

    if reduction == "mean":
        if cw is None and sw is None and (labels is None or ignore_index is None):
            denom = float(n)
        elif labels is not None:
            keep = np.ones(n, dtype=bool) if ignore_index is None else labels != ignore_index
            w = np.ones(n) if sw is None else sw.astype(np.float64)
            if cw is not None:
                w = w * np.where(keep, cw[np.where(keep, labels, 0)], 0.0)
            denom = float(np.sum(w[keep]))
        else:
            denom = float(n if sw is None else np.sum(sw, dtype=np.float64))
        gscale = 1.0 / denom if denom > 0 else 0.0
    else:
        denom, gscale = 1.0, 1.0

    work, result = grad_buffer(grad_out, (n, c), dtype, logits, target)
    row_loss = np.empty(n)
    # The kernel adds the row losses in a fixed order, whatever the thread count; an
    # undefined row makes the sum NaN, which one check catches.
    total = _losses.softmax_cross_entropy(
        x, labels, q, cw, sw, eps if labels is not None else 0.0, ignore_index is not None,
        0 if ignore_index is None else int(ignore_index), gscale, work, row_loss,
        resolve_threads(n_threads))
    _check_total(total, row_loss)
    grad = finish_grad(work, result)
    if reduction == "none":
        return row_loss.astype(dtype), grad
    if reduction == "mean":
        total = total / denom if denom > 0 else 0.0
    return scalar_result(total, dtype), grad
