"""Fused loss + gradient on tensors: each returns ``(loss, grad)`` as lamina's core does.

The gradient is computed in closed form in the same pass (no autograd graph): for softmax
cross-entropy ``grad = sum(a) * softmax(x) - a`` with ``a = class_weight * q`` and ``q``
the (smoothed) target distribution, scaled by ``1 / sum(weights)`` for ``reduction="mean"``.
Everything stays in the input's dtype and on its device.
"""

import torch

from lamina_torch._common import as_float, as_index, check_out, common, device_of, write_out

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _weights(sample_weight, n, dev, dtype):
    if sample_weight is None:
        return torch.ones(n, dtype=dtype, device=dev)
    sw = as_float(sample_weight, "sample_weight", dev).to(dtype)
    if tuple(sw.shape) != (n,):
        raise ValueError(f"sample_weight must have shape ({n},), got {tuple(sw.shape)}")
    if bool((sw < 0).any()):
        raise ValueError("sample_weight must be non-negative")
    return sw


def _reduce(loss, grad, reduction, denom, grad_out):
    """Reduce weighted losses; the gradient is divided by the mean's denominator."""
    if reduction == "mean":
        scale = torch.where(denom > 0, 1.0 / torch.where(denom > 0, denom, 1.0), 0.0)
        value = loss.sum() * scale
        grad = grad * scale
    elif reduction == "sum":
        value = loss.sum()
    else:
        value = loss
    return value, write_out(grad_out, grad, "grad_out")


def _pair(pred, target, name="pred"):
    dev = device_of(pred, target)
    x = as_float(pred, name, dev)
    t = as_float(target, "target", dev).to(x.dtype)
    if t.shape != x.shape:
        raise ValueError(f"target must have the prediction's shape {tuple(x.shape)}, got "
                         f"{tuple(t.shape)}")
    return x, t, dev


def _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out,
                        per_row_mean=False):
    _check_reduction(reduction)
    n = x.shape[0] if x.ndim else 1
    per_sample = 1
    for s in x.shape[1:]:
        per_sample *= s
    sw = _weights(sample_weight, n, x.device, x.dtype)
    w = sw.reshape((n,) + (1,) * (x.ndim - 1)) if x.ndim else sw[0]
    denom = sw.sum() * (1 if per_row_mean else per_sample)
    return _reduce(loss * w, grad * w, reduction, denom, grad_out)


def _labels(target, n, c, ignore_index, dev):
    """Integer class labels as int64 on ``dev`` and the mask of rows that count."""
    t = as_index(target, "target", dev)
    if tuple(t.shape) != (n,):
        raise ValueError(f"target must have shape ({n},), got {tuple(t.shape)}")
    keep = torch.ones(n, dtype=torch.bool, device=dev) if ignore_index is None \
        else t != ignore_index
    bad = ((t < 0) | (t >= c)) & keep
    if bool(bad.any()):
        i = int(torch.nonzero(bad)[0, 0])
        raise ValueError(f"target[{i}] = {int(t[i])} is not a class index in [0, {c})")
    return torch.where(keep, t, 0), keep


def _is_label_tensor(t):
    if isinstance(t, torch.Tensor):
        return not t.dtype.is_floating_point and t.dtype != torch.bool
    import numpy as np

    return np.asarray(t).dtype.kind in "iu"


def _softmax_ce_rows(x, target, class_weight, label_smoothing, ignore_index, sw, dev):
    """Per-row weighted losses, unscaled gradient rows and the mean's denominator."""
    n, c = x.shape
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    cw = None
    if class_weight is not None:
        cw = as_float(class_weight, "class_weight", dev).to(x.dtype)
        if tuple(cw.shape) != (c,):
            raise ValueError(f"class_weight must have shape ({c},), got {tuple(cw.shape)}")
    if _is_label_tensor(target):
        labels, keep = _labels(target, n, c, ignore_index, dev)
        q = torch.zeros_like(x)
        q.scatter_(1, labels[:, None], 1.0)
        q = q * keep[:, None]
        if eps:
            q = (1 - eps) * q + (eps / c) * keep[:, None].to(x.dtype)
        row_w = cw[labels] if cw is not None else torch.ones_like(sw)
        denom = (sw * torch.where(keep, row_w, 0.0)).sum()
    else:
        q = as_float(target, "target", dev).to(x.dtype)
        if tuple(q.shape) != (n, c):
            raise ValueError("target must be integer labels (N,) or probabilities (N, C), "
                             f"got shape {tuple(q.shape)} for logits {tuple(x.shape)}")
        if eps:
            q = (1 - eps) * q + eps / c
        denom = sw.sum()
    a = q * cw if cw is not None else q
    logp = torch.log_softmax(x, dim=1)
    # a_j = 0 terms contribute 0 even where log p_j = -inf.
    rows = -(a * torch.where(a != 0, logp, 0.0)).sum(dim=1)
    grad = a.sum(dim=1, keepdim=True) * torch.exp(logp) - a
    return rows * sw, grad * sw[:, None], denom


def _softmax_ce_labels(x, target, class_weight, ignore_index, reduction, sw, grad_out, dev):
    """Hard labels without smoothing: row weight ``w_i = sw_i * cw[y_i]`` (0 if ignored),
    loss ``-w_i log p_{i, y_i}``, gradient ``w_i (p_i - e_{y_i})`` times the mean's scale,
    in about three passes over the logits (logsumexp, then one fused p * w write)."""
    n, c = x.shape
    labels, keep = _labels(target, n, c, ignore_index, dev)
    w = sw * keep
    if class_weight is not None:
        cw = as_float(class_weight, "class_weight", dev).to(x.dtype)
        if tuple(cw.shape) != (c,):
            raise ValueError(f"class_weight must have shape ({c},), got {tuple(cw.shape)}")
        w = w * cw[labels]
    lab = labels[:, None]
    lse = torch.logsumexp(x, dim=1) if c else torch.zeros(n, dtype=x.dtype, device=dev)
    picked = x.gather(1, lab)[:, 0] - lse if c else lse
    rows = -torch.where(w != 0, w * picked, 0.0)
    if reduction == "mean":
        denom = w.sum()
        scale = torch.where(denom > 0, 1.0 / torch.where(denom > 0, denom, 1.0), 0.0)
        value, gw = rows.sum() * scale, w * scale
    else:
        value, gw = (rows.sum() if reduction == "sum" else rows), w
    if grad_out is not None:
        check_out(grad_out, x, "grad_out")
        grad = torch.sub(x, lse[:, None], out=grad_out)
    else:
        grad = x - lse[:, None]
    grad.exp_().mul_(gw[:, None])
    grad.scatter_add_(1, lab, -gw[:, None])
    return value, grad


class LossOps:
    def softmax_cross_entropy(self, logits, target, *, class_weight=None, label_smoothing=0.0,
                              ignore_index=None, reduction="mean", sample_weight=None,
                              grad_out=None, n_threads=None):
        _check_reduction(reduction)
        dev = device_of(logits, target, class_weight, sample_weight, grad_out)
        x = as_float(logits, "logits", dev, ndim=2)
        sw = _weights(sample_weight, x.shape[0], dev, x.dtype)
        if _is_label_tensor(target) and not float(label_smoothing):
            return _softmax_ce_labels(x, target, class_weight, ignore_index, reduction, sw,
                                      grad_out, dev)
        rows, grad, denom = _softmax_ce_rows(x, target, class_weight, label_smoothing,
                                             ignore_index, sw, dev)
        return _reduce(rows, grad, reduction, denom, grad_out)

    def linear_softmax_cross_entropy(self, h, weight, bias, target, *, ignore_index=None,
                                     reduction="mean", sample_weight=None, chunk_bytes=None,
                                     n_threads=None):
        """Cross-entropy of ``h @ weight.T + bias`` without materializing all the logits:
        rows go through in chunks of at most ``chunk_bytes`` of logits (default 32 MiB),
        each chunk's gradient is folded into ``grad_weight``/``grad_bias`` at once."""
        if reduction not in ("mean", "sum"):
            raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
        dev = device_of(h, weight, bias, target, sample_weight)
        arrays = [as_float(h, "h", dev, ndim=2), as_float(weight, "weight", dev, ndim=2)]
        if bias is not None:
            arrays.append(as_float(bias, "bias", dev, ndim=1))
        arrays = common(*arrays)
        h, weight = arrays[0], arrays[1]
        n, hidden = h.shape
        vocab = weight.shape[0]
        if weight.shape[1] != hidden:
            raise ValueError(f"weight has shape {tuple(weight.shape)}, expected "
                             f"(V, {hidden})")
        b = arrays[2] if bias is not None else None
        if b is not None and b.shape[0] != vocab:
            raise ValueError(f"bias has shape {tuple(b.shape)}, expected ({vocab},)")
        labels, keep = _labels(target, n, vocab, ignore_index, dev)
        sw = _weights(sample_weight, n, dev, h.dtype)
        denom = (sw * keep).sum()
        scale = torch.where(denom > 0, 1.0 / torch.where(denom > 0, denom, 1.0), 0.0) \
            if reduction == "mean" else torch.ones((), dtype=h.dtype, device=dev)
        chunk_bytes = 32 << 20 if chunk_bytes is None else int(chunk_bytes)
        if chunk_bytes <= 0:
            raise ValueError(f"chunk_bytes must be positive, got {chunk_bytes}")
        rows = max(1, chunk_bytes // max(1, vocab * h.element_size()))
        loss = torch.zeros((), dtype=h.dtype, device=dev)
        grad_h = torch.empty_like(h)
        grad_w = torch.zeros_like(weight)
        grad_b = torch.zeros_like(b) if b is not None else None
        for start in range(0, n, rows):
            stop = min(n, start + rows)
            hc = h[start:stop]
            logits = hc @ weight.mT
            if b is not None:
                logits += b
            wc = (sw[start:stop] * keep[start:stop]) * scale
            logp = torch.log_softmax(logits, dim=1)
            lab = labels[start:stop, None]
            loss += -(wc * logp.gather(1, lab)[:, 0]).sum()
            g = torch.exp(logp).mul_(wc[:, None])
            g.scatter_add_(1, lab, -wc[:, None])
            torch.mm(g, weight, out=grad_h[start:stop])
            grad_w.addmm_(g.mT, hc)
            if grad_b is not None:
                grad_b += g.sum(dim=0)
        return loss, (grad_h, grad_w, grad_b)

    def sigmoid_binary_cross_entropy(self, logits, target, *, pos_weight=None,
                                     reduction="mean", sample_weight=None, grad_out=None,
                                     n_threads=None):
        x, t, dev = _pair(logits, target, "logits")
        if bool(((t < 0) | (t > 1)).any()):
            raise ValueError("target must hold probabilities in [0, 1]")
        pw = 1.0 if pos_weight is None else as_float(pos_weight, "pos_weight", dev).to(x.dtype)
        sp = torch.nn.functional.softplus
        loss = pw * t * sp(-x) + (1 - t) * sp(x)
        sig = torch.sigmoid(x)
        grad = pw * t * (sig - 1) + (1 - t) * sig
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def mse(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        x, t, _ = _pair(pred, target)
        d = x - t
        return _elementwise_reduce(d * d, 2 * d, x, reduction, sample_weight, grad_out)

    def mae(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
            n_threads=None):
        x, t, _ = _pair(pred, target)
        d = x - t
        return _elementwise_reduce(d.abs(), torch.sign(d), x, reduction, sample_weight,
                                   grad_out)

    def huber(self, pred, target, *, delta=1.0, reduction="mean", sample_weight=None,
              grad_out=None, n_threads=None):
        x, t, _ = _pair(pred, target)
        d = x - t
        inside = d.abs() <= delta
        loss = torch.where(inside, 0.5 * d * d, delta * (d.abs() - 0.5 * delta))
        grad = torch.where(inside, d, delta * torch.sign(d))
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def smooth_l1(self, pred, target, *, beta=1.0, reduction="mean", sample_weight=None,
                  grad_out=None, n_threads=None):
        x, t, _ = _pair(pred, target)
        d = x - t
        inside = d.abs() < beta
        loss = torch.where(inside, 0.5 * d * d / beta, d.abs() - 0.5 * beta)
        grad = torch.where(inside, d / beta, torch.sign(d))
        return _elementwise_reduce(loss, grad, x, reduction, sample_weight, grad_out)

    def log_cosh(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
                 n_threads=None):
        x, t, _ = _pair(pred, target)
        d = x - t
        # log(cosh d) = |d| + log1p(exp(-2|d|)) - log 2, finite for any |d|.
        a = d.abs()
        loss = a + torch.log1p(torch.exp(-2 * a)) - 0.6931471805599453
        return _elementwise_reduce(loss, torch.tanh(d), x, reduction, sample_weight, grad_out)

    def hinge(self, pred, target, *, reduction="mean", sample_weight=None, grad_out=None,
              n_threads=None):
        dev = device_of(pred, target, sample_weight, grad_out)
        x = as_float(pred, "pred", dev)
        if x.ndim == 2 and _is_label_tensor(target) and \
                getattr(target, "ndim", len(getattr(target, "shape", ()))) == 1:
            _check_reduction(reduction)
            n, c = x.shape
            labels, _ = _labels(target, n, c, None, dev)
            rows = torch.arange(n, device=dev)
            others = x.clone()
            others[rows, labels] = -torch.inf
            j = torch.argmax(others, dim=1)
            margin = 1 + others[rows, j] - x[rows, labels]
            active = (margin > 0) & (c > 1)
            loss = torch.where(active, margin, 0.0)
            grad = torch.zeros_like(x)
            act = active.to(x.dtype)
            grad[rows, j] += act
            grad[rows, labels] -= act
            sw = _weights(sample_weight, n, dev, x.dtype)
            return _reduce(loss * sw, grad * sw[:, None], reduction, sw.sum(), grad_out)
        x, t, _ = _pair(pred, target)
        if not bool(((t == 1) | (t == -1)).all()):
            raise ValueError("binary hinge target must hold labels -1 or +1")
        m = 1 - t * x
        return _elementwise_reduce(torch.clamp_min(m, 0), torch.where(m > 0, -t, 0.0), x,
                                   reduction, sample_weight, grad_out)

    def kl_divergence(self, log_pred, target, *, reduction="mean", sample_weight=None,
                      grad_out=None, n_threads=None):
        x, t, _ = _pair(log_pred, target, "log_pred")
        pos = t > 0
        loss = torch.where(pos, t * (torch.log(torch.where(pos, t, 1.0)) - x), 0.0)
        return _elementwise_reduce(loss, -t, x, reduction, sample_weight, grad_out,
                                   per_row_mean=x.ndim > 1)

    # -- penalties: the gradient is added into grad_out when given ------------------------
    @staticmethod
    def _penalty(value, grad, grad_out):
        if grad_out is None:
            return value, grad
        if not isinstance(grad_out, torch.Tensor) or grad_out.shape != grad.shape:
            raise ValueError("grad_out must be a tensor of w's shape")
        grad_out += grad
        return value, grad_out

    def l2_penalty(self, w, lam, *, grad_out=None, n_threads=None):
        x = as_float(w, "w", device_of(w, grad_out))
        return self._penalty(0.5 * lam * (x * x).sum(), lam * x, grad_out)

    def l1_penalty(self, w, lam, *, grad_out=None, n_threads=None):
        x = as_float(w, "w", device_of(w, grad_out))
        return self._penalty(lam * x.abs().sum(), lam * torch.sign(x), grad_out)

    def elastic_net_penalty(self, w, lam, l1_ratio=0.5, *, grad_out=None, n_threads=None):
        x = as_float(w, "w", device_of(w, grad_out))
        r = float(l1_ratio)
        value = lam * (r * x.abs().sum() + 0.5 * (1 - r) * (x * x).sum())
        grad = lam * (r * torch.sign(x) + (1 - r) * x)
        return self._penalty(value, grad, grad_out)
