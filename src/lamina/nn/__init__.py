"""Neural networks on lamina's kernels: layers, optimizers, training.

Dense layers run forward through lamina's GEMM with the bias and activation fused into its
epilogue and backward through two GEMMs; losses come from :mod:`lamina.losses` (one fused
pass for loss and gradient); optimizers update parameters in place in one pass.

Examples
--------
>>> import numpy as np
>>> from lamina.nn import Dense, Sequential, SGD
>>> X = np.random.default_rng(0).standard_normal((64, 4)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(np.int64)
>>> model = Sequential([Dense(8, activation="relu"), Dense(2)], random_state=0)
>>> history = model.fit(X, y, optimizer=SGD(lr=0.1), epochs=5, progress=False,
...                     random_state=0)
>>> len(history["loss"])
5
"""

from lamina.nn._base import Layer
from lamina.nn._gradcheck import GradcheckReport, gradcheck
from lamina.nn._layers import (
    GELU,
    BatchNorm1d,
    Dense,
    Dropout,
    Flatten,
    LayerNorm,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from lamina.nn._model import History, Sequential, load
from lamina.nn._optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    Optimizer,
    RMSprop,
    StepLR,
    clip_grad_norm,
)
from lamina.nn._registry import available_layers, get_layer

Model = Sequential

__all__ = [
    "GELU", "SGD", "Adam", "AdamW", "BatchNorm1d", "CosineAnnealingLR", "Dense", "Dropout",
    "Flatten", "GradcheckReport", "History", "Layer", "LayerNorm", "LeakyReLU", "Model",
    "Optimizer", "RMSprop", "ReLU", "Sequential", "Sigmoid", "Softmax", "StepLR", "Tanh",
    "available_layers", "clip_grad_norm", "get_layer", "gradcheck", "load",
]
