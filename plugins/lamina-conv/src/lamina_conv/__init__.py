"""Convolution and pooling layers for :mod:`lamina.nn`, registered as a plugin.

``Conv2D`` runs im2col + lamina's GEMM (bias and activation fused into the GEMM
epilogue); ``MaxPool2D`` and ``AvgPool2D`` pool NCHW inputs.  The layers are registered
under the ``lamina.layers`` entry points as ``conv2d``, ``max_pool_2d`` and
``avg_pool_2d``, so models that use them save and load with ``Sequential.save`` /
``lamina.nn.load``.  Use the core's :class:`lamina.nn.Flatten` between the convolutional
and the dense part (it flattens any rank; it is re-exported here for convenience).

Examples
--------
>>> import numpy as np
>>> from lamina.nn import Dense, Sequential
>>> from lamina_conv import Conv2D, Flatten, MaxPool2D
>>> model = Sequential([Conv2D(8, 3, padding=1, activation="relu"), MaxPool2D(2),
...                     Flatten(), Dense(10)], random_state=0)
>>> model.predict(np.zeros((4, 1, 8, 8))).shape
(4, 10)
"""

from lamina.nn import Flatten
from lamina_conv._conv import Conv2D
from lamina_conv._pool import AvgPool2D, MaxPool2D

__version__ = "0.1.0"

__all__ = ["AvgPool2D", "Conv2D", "Flatten", "MaxPool2D"]
