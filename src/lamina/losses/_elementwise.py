"""Element-wise losses (regression, binary and multi-label classification, KL) and weight
penalties, each returning the loss and its gradient from one fused pass."""

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
    prediction,
    sample_weights,
    scalar_result,
    target_like,
)

__all__ = [
    "elastic_net_penalty",
    "hinge",
    "huber",
    "kl_divergence",
    "l1_penalty",
    "l2_penalty",
    "log_cosh",
    "mae",
    "mse",
    "sigmoid_binary_cross_entropy",
    "smooth_l1",
]

_IDS = _losses.LOSS_IDS


def _elementwise(loss, pred, target, *, param=0.0, column_param=None, reduction="mean",
                 sample_weight=None, grad_out=None, n_threads=None, pred_name="pred",
                 target_name="target", mean_over_rows=False, inputs=()):
    """Run element-wise loss ``loss`` over ``pred`` and a same-shape ``target``.

    Samples are the first axis: ``sample_weight`` has one entry per sample and weights
    every element of it.  "mean" divides by the total weight times the elements per sample
    (or by the total weight alone with ``mean_over_rows``, the per-sample mean of a
    quantity summed over each sample, as KL divergence is).
    """
    check_reduction(reduction)
    dtype = pred.dtype
    shape = pred.shape
    n_rows = shape[0] if pred.ndim else 1
    k = int(np.prod(shape[1:])) if pred.ndim > 1 else 1
    p = np.ascontiguousarray(pred).reshape(-1)
    t = target.reshape(-1)
    sw = sample_weights(sample_weight, n_rows, dtype) if pred.ndim else None
    if sample_weight is not None and pred.ndim == 0:
        raise ValueError("sample_weight needs at least a 1-D prediction")
    if reduction == "mean":
        total_w = float(n_rows if sw is None else np.sum(sw, dtype=np.float64))
        denom = total_w if mean_over_rows else total_w * k
        gscale = 1.0 / denom if denom > 0 else 0.0
    else:
        denom, gscale = 1.0, 1.0
    work, result = grad_buffer(grad_out, shape, dtype, *inputs)
    lout = np.empty(p.shape[0], dtype=dtype) if reduction == "none" else None
    total = _losses.elementwise(_IDS[loss], p, t, param, column_param, sw, k, gscale,
                                work.reshape(-1), False, lout, resolve_threads(n_threads))
    if total != total:
        check_no_nan(pred, pred_name)
        check_no_nan(target, target_name)
        raise ValueError(f"the loss is undefined (NaN) for these inputs: {pred_name} and "
                         f"{target_name} hold infinities of the same sign")
    grad = finish_grad(work, result)
    if reduction == "none":
        return lout.reshape(shape), grad
    if reduction == "mean":
        total = total / denom if denom > 0 else 0.0
    return scalar_result(total, dtype), grad


def _pair(pred, target, pred_name="pred", target_name="target"):
    x = prediction(pred, pred_name)
    t = target_like(target, target_name, x.shape, x.dtype)
    return x, t


_COMMON_PARAMS = """reduction : {"mean", "sum", "none"}
        "mean" averages over all elements (weighted by ``sample_weight``: the weighted sum
        divided by ``sum(sample_weight) * elements_per_sample``; 0 if that is 0); "sum"
        adds; "none" returns the weighted element losses, and ``grad`` is then the
        gradient of their sum.
    sample_weight : array_like, shape (N,), optional
        Non-negative weight per sample (the first axis).
    grad_out : ndarray, optional
        Buffer of the prediction's shape and dtype that receives the gradient; a training
        loop that passes one allocates nothing for it.
    n_threads : int, optional
        OpenMP threads; results are identical for every thread count."""

_RETURNS = """Returns
    -------
    loss : numpy scalar, or ndarray of the prediction's shape for ``reduction="none"``
    grad : ndarray
        Gradient of ``loss`` with respect to the prediction (float32 stays float32)."""


def _doc(f):
    f.__doc__ = f.__doc__.replace("{common}", _COMMON_PARAMS).replace("{returns}", _RETURNS)
    return f


@dispatchable("mse")
@_doc
def mse(pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
        n_threads=None):
    """Mean squared error ``(pred - target)**2`` and its gradient ``2 (pred - target)``.

    Parameters
    ----------
    pred, target : array_like
        Same shape; the first axis indexes samples.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import mse
    >>> loss, grad = mse([1.0, 2.0], [0.0, 0.0])
    >>> float(loss), grad.tolist()
    (2.5, [1.0, 2.0])
    """
    x, t = _pair(pred, target)
    return _elementwise("mse", x, t, reduction=reduction, sample_weight=sample_weight,
                        grad_out=grad_out, n_threads=n_threads, inputs=(pred, target))


@dispatchable("mae")
@_doc
def mae(pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
        n_threads=None):
    """Mean absolute error ``|pred - target|`` and its subgradient ``sign(pred - target)``
    (0 where they are equal).

    Parameters
    ----------
    pred, target : array_like
        Same shape; the first axis indexes samples.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import mae
    >>> loss, grad = mae([1.0, -2.0, 0.0], [0.0, 0.0, 0.0], reduction="sum")
    >>> float(loss), grad.tolist()
    (3.0, [1.0, -1.0, 0.0])
    """
    x, t = _pair(pred, target)
    return _elementwise("mae", x, t, reduction=reduction, sample_weight=sample_weight,
                        grad_out=grad_out, n_threads=n_threads, inputs=(pred, target))


def _positive(value, name):
    v = check_scalar(value, name)
    if not v > 0 or not np.isfinite(v):
        raise ValueError(f"{name} must be positive and finite, got {value}")
    return v


@dispatchable("huber")
@_doc
def huber(pred, target, *, delta=1.0, reduction="mean", sample_weight=None, grad_out=None,
          n_threads=None):
    """Huber loss: ``d**2 / 2`` for ``|d| <= delta``, ``delta (|d| - delta / 2)`` beyond,
    with ``d = pred - target`` (PyTorch's ``HuberLoss``).

    Parameters
    ----------
    pred, target : array_like
        Same shape; the first axis indexes samples.
    delta : float
        Positive threshold between the quadratic and the linear part.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import huber
    >>> loss, grad = huber([0.5, 3.0], [0.0, 0.0], reduction="none")
    >>> loss.tolist(), grad.tolist()
    ([0.125, 2.5], [0.5, 1.0])
    """
    delta = _positive(delta, "delta")
    x, t = _pair(pred, target)
    return _elementwise("huber", x, t, param=delta, reduction=reduction,
                        sample_weight=sample_weight, grad_out=grad_out, n_threads=n_threads,
                        inputs=(pred, target))


@dispatchable("smooth_l1")
@_doc
def smooth_l1(pred, target, *, beta=1.0, reduction="mean", sample_weight=None,
              grad_out=None, n_threads=None):
    """Smooth L1 loss: ``d**2 / (2 beta)`` for ``|d| < beta``, ``|d| - beta / 2`` beyond
    (PyTorch's ``SmoothL1Loss``; equal to ``huber / beta``).

    Parameters
    ----------
    pred, target : array_like
        Same shape; the first axis indexes samples.
    beta : float
        Positive threshold.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import smooth_l1
    >>> loss, grad = smooth_l1([0.5, 3.0], [0.0, 0.0], reduction="none")
    >>> loss.tolist(), grad.tolist()
    ([0.125, 2.5], [0.5, 1.0])
    """
    beta = _positive(beta, "beta")
    x, t = _pair(pred, target)
    return _elementwise("smooth_l1", x, t, param=beta, reduction=reduction,
                        sample_weight=sample_weight, grad_out=grad_out, n_threads=n_threads,
                        inputs=(pred, target))


@dispatchable("log_cosh")
@_doc
def log_cosh(pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
             n_threads=None):
    """Log-cosh loss ``log(cosh(pred - target))`` and its gradient ``tanh(pred - target)``.

    Accurate near 0 (where it is ``d**2 / 2``) and free of overflow for large ``|d|``.

    Parameters
    ----------
    pred, target : array_like
        Same shape; the first axis indexes samples.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import log_cosh
    >>> loss, grad = log_cosh([0.0, 1000.0], [0.0, 0.0], reduction="none")
    >>> [round(v, 4) for v in loss.tolist()], grad.tolist()
    ([0.0, 999.3069], [0.0, 1.0])
    """
    x, t = _pair(pred, target)
    return _elementwise("log_cosh", x, t, reduction=reduction, sample_weight=sample_weight,
                        grad_out=grad_out, n_threads=n_threads, inputs=(pred, target))


@dispatchable("sigmoid_binary_cross_entropy")
@_doc
def sigmoid_binary_cross_entropy(logits, target, *, pos_weight=None, reduction="mean",
                                 sample_weight=None, grad_out=None, n_threads=None):
    """Binary cross-entropy of ``sigmoid(logits)`` against targets in [0, 1], with gradient.

    ``l = -(w t log sigmoid(x) + (1 - t) log(1 - sigmoid(x)))`` computed from softplus
    (never ``log(0)``), gradient ``w t (sigmoid(x) - 1) + (1 - t) sigmoid(x)``
    (PyTorch's ``binary_cross_entropy_with_logits``).

    Parameters
    ----------
    logits : array_like, shape (N,) or (N, K)
        Scores; (N, K) is multi-label: K independent binary problems per sample.
    target : array_like
        Same shape, probabilities in [0, 1] (0/1 labels or soft targets).
    pos_weight : float or array_like of shape (K,), optional
        Non-negative weight of the positive term, per label for (N, K) logits.
    {common}

    {returns}

    Examples
    --------
    >>> from lamina.losses import sigmoid_binary_cross_entropy
    >>> loss, grad = sigmoid_binary_cross_entropy([0.0, 100.0], [1.0, 1.0], reduction="none")
    >>> [round(v, 4) for v in loss.tolist()], [round(v, 4) for v in grad.tolist()]
    ([0.6931, 0.0], [-0.5, -0.0])
    """
    x, t = _pair(logits, target, "logits", "target")
    check_no_nan(t, "target")
    if t.size and ((t < 0) | (t > 1)).any():
        i = int(np.argmax(((t < 0) | (t > 1)).reshape(-1)))
        raise ValueError(f"target must hold probabilities in [0, 1], got {t.reshape(-1)[i]} "
                         f"at flat index {i}")
    param, column = 1.0, None
    if pos_weight is not None:
        pw = np.asarray(pos_weight)
        if pw.ndim == 0:
            param = check_scalar(pw, "pos_weight")
            bad = not (np.isfinite(param) and param >= 0)
        else:
            pw = as_float_array(pw, "pos_weight", ndim=1)
            k = x.shape[-1] if x.ndim > 1 else None
            if x.ndim != 2 or pw.shape[0] != k:
                raise ValueError(f"pos_weight of shape {pw.shape} needs (N, K) logits with "
                                 f"K = {pw.shape[0]}, got logits of shape {x.shape}")
            column = np.ascontiguousarray(pw, dtype=x.dtype)
            bad = not (np.isfinite(column).all() and (column >= 0).all())
        if bad:
            raise ValueError("pos_weight must be finite and non-negative")
    return _elementwise("bce", x, t, param=param, column_param=column, reduction=reduction,
                        sample_weight=sample_weight, grad_out=grad_out, n_threads=n_threads,
                        pred_name="logits", inputs=(logits, target))


@dispatchable("hinge")
@_doc
def hinge(pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
          n_threads=None):
    """Hinge loss for binary or multi-class margins, with its subgradient.

    Binary: ``pred`` and ``target`` of one shape, labels in {-1, +1},
    ``l = max(0, 1 - target * pred)``.  Multi-class (Crammer & Singer, as scikit-learn's
    ``hinge_loss``): ``pred`` of shape (N, C) and integer labels of shape (N,),
    ``l_i = max(0, 1 + max_{j != y_i} pred_ij - pred_{i y_i})``, one loss per sample.

    Parameters
    ----------
    pred : array_like
        Decision values.
    target : array_like
        Labels in {-1, +1} (binary) or integer classes in [0, C) (multi-class).
    {common}

    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.losses import hinge
    >>> loss, grad = hinge([0.5, 2.0], [1.0, -1.0], reduction="none")
    >>> loss.tolist(), grad.tolist()
    ([0.5, 3.0], [-1.0, 1.0])
    >>> loss, grad = hinge(np.array([[2.0, 1.5, 0.0]]), np.array([0]), reduction="sum")
    >>> float(loss), grad.tolist()
    (0.5, [[-1.0, 1.0, 0.0]])
    """
    check_reduction(reduction)
    t_arr = np.asarray(target)
    x = prediction(pred, "pred")
    if t_arr.dtype.kind in "iu" and x.ndim == 2 and t_arr.ndim == 1:
        return _hinge_multiclass(x, t_arr, reduction, sample_weight, grad_out, n_threads,
                                 (pred, target))
    t = target_like(target, "target", x.shape, x.dtype)
    check_no_nan(t, "target")
    if t.size and not np.isin(t, (-1.0, 1.0)).all():
        i = int(np.argmax(~np.isin(t.reshape(-1), (-1.0, 1.0))))
        raise ValueError(f"binary hinge target must hold labels -1 or +1, got "
                         f"{t.reshape(-1)[i]} at flat index {i} (for multi-class pass "
                         "integer labels of shape (N,) with (N, C) pred)")
    return _elementwise("hinge", x, t, reduction=reduction, sample_weight=sample_weight,
                        grad_out=grad_out, n_threads=n_threads, inputs=(pred, target))


def _hinge_multiclass(x, t, reduction, sample_weight, grad_out, n_threads, inputs):
    n, c = x.shape
    labels = np.ascontiguousarray(t, dtype=np.int64)
    if labels.shape[0] != n:
        raise ValueError(f"integer target must have shape ({n},), got {labels.shape}")
    bad = (labels < 0) | (labels >= c)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"target[{i}] = {labels[i]} is not a class index in [0, {c})")
    dtype = x.dtype
    sw = sample_weights(sample_weight, n, dtype)
    if reduction == "mean":
        denom = float(n if sw is None else np.sum(sw, dtype=np.float64))
        gscale = 1.0 / denom if denom > 0 else 0.0
    else:
        denom, gscale = 1.0, 1.0
    xc = np.ascontiguousarray(x)
    work, result = grad_buffer(grad_out, (n, c), dtype, *inputs)
    row_loss = np.empty(n)
    _losses.hinge_multiclass(xc, labels, sw, gscale, work, row_loss,
                             resolve_threads(n_threads))
    if np.isnan(row_loss).any():
        check_no_nan(x, "pred")
    grad = finish_grad(work, result)
    if reduction == "none":
        return row_loss.astype(dtype), grad
    total = float(np.sum(row_loss))
    if reduction == "mean":
        total = total / denom if denom > 0 else 0.0
    return scalar_result(total, dtype), grad


@dispatchable("kl_divergence")
@_doc
def kl_divergence(log_pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
                  n_threads=None):
    """KL divergence ``KL(target || exp(log_pred))`` from log-probabilities, with gradient.

    Element terms ``target * (log(target) - log_pred)`` (0 where ``target`` is 0), gradient
    ``-target`` (PyTorch's ``kl_div`` with log-probability input).

    Parameters
    ----------
    log_pred : array_like, shape (N, C) or (C,)
        Log-probabilities (e.g. from a log-softmax).
    target : array_like
        Same shape: probabilities (non-negative).
    reduction : {"mean", "sum", "none"}
        "mean" is the mean over samples of each sample's KL divergence (the sum over its
        row; PyTorch's ``"batchmean"``), weighted by ``sample_weight``; "sum" adds all
        terms; "none" returns the element terms.
    sample_weight : array_like, shape (N,), optional
        Non-negative weight per sample.
    grad_out : ndarray, optional
        Buffer for the gradient.
    n_threads : int, optional
        OpenMP threads; results are identical for every thread count.

    {returns}

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.losses import kl_divergence
    >>> loss, grad = kl_divergence(np.log([[0.5, 0.5]]), [[0.5, 0.5]])
    >>> float(loss), grad.tolist()
    (0.0, [[-0.5, -0.5]])
    """
    x, t = _pair(log_pred, target, "log_pred", "target")
    check_no_nan(t, "target")
    if t.size and (t < 0).any():
        i = int(np.argmax((t < 0).reshape(-1)))
        raise ValueError(f"target must be non-negative probabilities, got "
                         f"{t.reshape(-1)[i]} at flat index {i}")
    return _elementwise("kl", x, t, reduction=reduction, sample_weight=sample_weight,
                        grad_out=grad_out, n_threads=n_threads, pred_name="log_pred",
                        mean_over_rows=x.ndim > 1, inputs=(log_pred, target))


# -- penalties ---------------------------------------------------------------------------

def _penalty(loss, w, lam, param, grad_out, n_threads):
    lam = check_scalar(lam, "lam")
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"lam must be finite and non-negative, got {lam}")
    x = prediction(w, "w")
    p = np.ascontiguousarray(x).reshape(-1)
    nt = resolve_threads(n_threads)
    if grad_out is None:
        g = np.empty(x.shape, dtype=x.dtype)
        total = _losses.elementwise(_IDS[loss], p, p, param, None, None, 1, lam, g.reshape(-1),
                                    False, None, nt)
    else:
        from lamina._validation import check_out
        check_out(grad_out, x.shape, x.dtype, name="grad_out")
        direct = grad_out.flags.c_contiguous and not np.may_share_memory(grad_out, x)
        g = grad_out if direct else np.zeros(x.shape, dtype=x.dtype)
        total = _losses.elementwise(_IDS[loss], p, p, param, None, None, 1, lam,
                                    g.reshape(-1), True, None, nt)
        if not direct:
            grad_out += g
        g = grad_out
    if total != total:
        check_no_nan(x, "w")
    return scalar_result(lam * total, x.dtype), g


@dispatchable("l2_penalty")
def l2_penalty(w, lam, *, grad_out=None, n_threads=None):
    """Ridge penalty ``lam / 2 * sum(w**2)`` and its gradient ``lam * w``.

    Parameters
    ----------
    w : array_like
        Weights (any shape).
    lam : float
        Non-negative strength.
    grad_out : ndarray, optional
        An existing gradient buffer of ``w``'s shape and dtype: the penalty's gradient is
        **added** to it (a model's loss gradient plus its regularization in one buffer).
    n_threads : int, optional
        OpenMP threads; results are identical for every thread count.

    Returns
    -------
    value : numpy scalar
    grad : ndarray
        The penalty's gradient, or ``grad_out`` after adding it.

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.losses import l2_penalty
    >>> g = np.array([1.0, 1.0])
    >>> value, grad = l2_penalty([2.0, -1.0], 0.5, grad_out=g)
    >>> float(value), grad.tolist(), grad is g
    (1.25, [2.0, 0.5], True)
    """
    return _penalty("l2", w, lam, 0.0, grad_out, n_threads)


@dispatchable("l1_penalty")
def l1_penalty(w, lam, *, grad_out=None, n_threads=None):
    """Lasso penalty ``lam * sum(|w|)`` and its subgradient ``lam * sign(w)`` (0 at 0).

    Parameters
    ----------
    w : array_like
        Weights (any shape).
    lam : float
        Non-negative strength.
    grad_out : ndarray, optional
        An existing gradient buffer: the subgradient is **added** to it.
    n_threads : int, optional
        OpenMP threads.

    Returns
    -------
    value : numpy scalar
    grad : ndarray

    Examples
    --------
    >>> from lamina.losses import l1_penalty
    >>> value, grad = l1_penalty([2.0, -1.0, 0.0], 0.1)
    >>> round(float(value), 6), grad.tolist()
    (0.3, [0.1, -0.1, 0.0])
    """
    return _penalty("l1", w, lam, 1.0, grad_out, n_threads)


@dispatchable("elastic_net_penalty")
def elastic_net_penalty(w, lam, l1_ratio=0.5, *, grad_out=None, n_threads=None):
    """Elastic-net penalty ``lam * (l1_ratio |w|_1 + (1 - l1_ratio) / 2 |w|_2^2)``
    (scikit-learn's parametrization) and its subgradient.

    Parameters
    ----------
    w : array_like
        Weights (any shape).
    lam : float
        Non-negative strength.
    l1_ratio : float in [0, 1]
        1 is the L1 penalty, 0 the L2 penalty.
    grad_out : ndarray, optional
        An existing gradient buffer: the subgradient is **added** to it.
    n_threads : int, optional
        OpenMP threads.

    Returns
    -------
    value : numpy scalar
    grad : ndarray

    Examples
    --------
    >>> from lamina.losses import elastic_net_penalty
    >>> value, grad = elastic_net_penalty([2.0, -1.0], 1.0, 0.5)
    >>> float(value), grad.tolist()
    (2.75, [1.5, -1.0])
    """
    r = check_scalar(l1_ratio, "l1_ratio")
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"l1_ratio must be in [0, 1], got {l1_ratio}")
    return _penalty("elastic_net", w, lam, r, grad_out, n_threads)
