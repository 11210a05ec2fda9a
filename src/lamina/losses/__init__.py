"""Fused loss-and-gradient functions: each returns ``(loss, grad)`` from one pass.

Classification: :func:`softmax_cross_entropy` (integer labels or probabilities, class
weights, label smoothing, ``ignore_index``), :func:`sigmoid_binary_cross_entropy`
(binary and multi-label, ``pos_weight``), :func:`linear_softmax_cross_entropy` (the
output layer and the loss fused, in row chunks, for large vocabularies), :func:`hinge`
(binary and multi-class),
:func:`kl_divergence` (log-probabilities in).  Regression: :func:`mse`, :func:`mae`,
:func:`huber`, :func:`smooth_l1`, :func:`log_cosh`.  Regularization: :func:`l2_penalty`,
:func:`l1_penalty`, :func:`elastic_net_penalty` (adding into an existing gradient buffer).

Every loss takes ``reduction="mean"|"sum"|"none"``, ``sample_weight=`` and ``grad_out=``
(a preallocated gradient buffer, so a training loop allocates nothing), keeps float32 and
float64, and is a dispatchable operation (``backend=``).  ``grad`` is the gradient of the
returned loss with respect to the prediction.

Examples
--------
>>> import numpy as np
>>> from lamina.losses import softmax_cross_entropy
>>> logits = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], dtype=np.float32)
>>> grad = np.empty_like(logits)
>>> loss, g = softmax_cross_entropy(logits, np.array([2, 0]), grad_out=grad)
>>> round(float(loss), 4), g is grad, g.dtype
(0.7531, True, dtype('float32'))
"""

from lamina.losses._elementwise import (
    elastic_net_penalty,
    hinge,
    huber,
    kl_divergence,
    l1_penalty,
    l2_penalty,
    log_cosh,
    mae,
    mse,
    sigmoid_binary_cross_entropy,
    smooth_l1,
)
from lamina.losses._linear import linear_softmax_cross_entropy
from lamina.losses._softmax import softmax_cross_entropy

__all__ = [
    "elastic_net_penalty",
    "hinge",
    "huber",
    "kl_divergence",
    "l1_penalty",
    "l2_penalty",
    "linear_softmax_cross_entropy",
    "log_cosh",
    "mae",
    "mse",
    "sigmoid_binary_cross_entropy",
    "smooth_l1",
    "softmax_cross_entropy",
]
