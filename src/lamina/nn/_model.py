"""Sequential models: build, train (fit), evaluate, predict, save and load."""

import json
import math
import time
import zipfile

import numpy as np

from lamina._kernels import _nn
from lamina._registry import dispatch_is_default
from lamina._validation import as_float_array
from lamina.losses._softmax import _mean_over_labels
from lamina.nn._base import Layer, threads
from lamina.nn._dense_stack import DenseStackStep
from lamina.nn._layers import Dense
from lamina.nn._optim import SGD, Optimizer, clip_grad_norm

__all__ = ["Sequential", "load"]

_FORMAT = "lamina.nn.Sequential/1"


def _loss_function(loss):
    """(name, fn) for a loss given by name or as a callable returning (loss, grad)."""
    if callable(loss):
        return getattr(loss, "__name__", "custom"), loss
    import lamina.losses as losses

    names = ("softmax_cross_entropy", "sigmoid_binary_cross_entropy", "mse", "mae", "huber",
             "smooth_l1", "log_cosh", "hinge")
    if loss not in names:
        raise ValueError(f"unknown loss {loss!r}; use one of {names} or a callable "
                         "(prediction, target) -> (loss, grad)")
    return loss, getattr(losses, loss)



def _take_rows(X, X_rows, idx):
    """X[idx] for a 1-D index array of valid row numbers: rows copied by lamina's threads
    (NumPy's fancy indexing is one thread; a 128 x 784 float32 batch took 65 us of a 2 ms
    training step)."""
    if X_rows is None:
        return X[idx]
    out = np.empty((idx.size,) + X.shape[1:], dtype=X.dtype)
    _nn.gather_rows(X_rows, np.asarray(idx, dtype=np.intp), out.reshape(idx.size, -1),
                    threads())
    return out

def _plain_float_matrix(a):
    """A C-contiguous 2-D float32/float64 array (what the compiled kernels take)."""
    return (isinstance(a, np.ndarray) and a.ndim == 2 and a.flags.c_contiguous
            and a.dtype in (np.float32, np.float64))


def _count_correct(out, labels):
    """How many rows of the outputs have their largest entry at the label."""
    if _plain_float_matrix(out) and labels.dtype == np.int64 and labels.flags.c_contiguous:
        return _nn.count_argmax_equal(out, labels)
    return int(np.count_nonzero(out.argmax(axis=1) == labels))


class History(dict):
    """Per-epoch metrics from :meth:`Sequential.fit`: ``history["loss"]`` is a list, etc."""


class Sequential(Layer):
    """A stack of layers trained end to end.

    Parameters
    ----------
    layers : sequence of Layer
    dtype : float32 or float64, default float32
    random_state : int, optional
        Seed for weight initialization (layers with their own ``random_state`` keep it).

    Examples
    --------
    >>> import numpy as np
    >>> from lamina.nn import Dense, ReLU, Sequential
    >>> model = Sequential([Dense(16), ReLU(), Dense(3)], random_state=0)
    >>> model.predict(np.ones((4, 8))).shape
    (4, 3)
    """

    layer_name = "sequential"

    def __init__(self, layers=(), *, dtype=np.float32, random_state=None):
        super().__init__()
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            if not all(hasattr(layer, a) for a in ("forward", "backward", "parameters",
                                                   "gradients", "build")):
                raise TypeError(f"layer {i} ({layer!r}) does not follow the Layer protocol")
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise TypeError(f"dtype must be float32 or float64, got {dtype}")
        self.model_dtype = dtype
        self.random_state = random_state

    def add(self, layer):
        if self.built:
            raise RuntimeError("cannot add layers to a built model")
        self.layers.append(layer)
        return self

    # -- building -----------------------------------------------------------------------
    def build(self, input_shape, dtype=None, rng=None):
        dtype = np.dtype(dtype or self.model_dtype)
        rng = rng or np.random.default_rng(self.random_state)
        shape = tuple(int(d) for d in input_shape)
        self.input_shape, self.dtype = shape, dtype
        for layer in self.layers:
            shape = layer.build(shape, dtype, rng)
        self.built = True
        return shape

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    # -- computation --------------------------------------------------------------------
    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad):
        grad, preactivation = self._backward_down_to(grad, 0)
        if preactivation:
            layer = self.layers[0]
            return layer._input_gradient(layer._backward_parameters_preactivation(grad))
        return self.layers[0].backward(grad) if self.layers else grad

    def backward_parameters(self, grad):
        # Layers before the first one with parameters need no gradient at all, and that
        # one needs none with respect to its input.
        first = next((i for i, layer in enumerate(self.layers) if layer.parameters()), None)
        if first is None:
            return
        grad, preactivation = self._backward_down_to(grad, first)
        layer = self.layers[first]
        if preactivation:
            layer._backward_parameters_preactivation(grad)
        else:
            layer.backward_parameters(grad)

    def _backward_down_to(self, grad, stop):
        """Back-propagate through the layers above ``layers[stop]``; returns the gradient
        for ``layers[stop]`` and whether it is already with respect to that layer's
        pre-activation (a Dense-with-ReLU pair fused its ReLU backward into the GEMM)."""
        preactivation = False
        for i in range(len(self.layers) - 1, stop, -1):
            layer, below = self.layers[i], self.layers[i - 1]
            if isinstance(layer, Dense) and layer._feeds_relu_backward(below):
                grad = layer._backward_into_relu(grad, preactivation)
                preactivation = True
            elif preactivation:
                dz = layer._backward_parameters_preactivation(grad)
                grad, preactivation = layer._input_gradient(dz), False
            else:
                grad = layer.backward(grad)
        return grad, preactivation

    def _prepare_x(self, X, name="X"):
        X = as_float_array(X, name, min_ndim=2, dtype=self.model_dtype, check_finite=True)
        if not self.built:
            self.build(X.shape[1:])
        elif tuple(X.shape[1:]) != self.input_shape:
            raise ValueError(f"{name} has {X.shape[1:]} features per sample but the model was "
                             f"built for {self.input_shape}")
        return X

    def predict(self, X, *, batch_size=1024):
        """Outputs of the model for ``X`` (inference mode: dropout off, running statistics)."""
        X = self._prepare_x(X)
        outs = [self.forward(X[i:i + batch_size], training=False)
                for i in range(0, X.shape[0], batch_size)] or \
            [np.empty((0,) + self.output_shape(self.input_shape), self.model_dtype)]
        return np.concatenate(outs, axis=0)

    # -- parameters -----------------------------------------------------------------------
    def parameters(self):
        self._require_built("parameters")
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.parameters().items()}

    def gradients(self):
        self._require_built("gradients")
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.gradients().items()}

    def buffers(self):
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in getattr(layer, "buffers", dict)().items()}

    # -- training -------------------------------------------------------------------------
    def _check_targets(self, y, n, loss_name, name="y"):
        y = np.asarray(y)
        if y.shape[0] != n:
            raise ValueError(f"{name} has {y.shape[0]} samples but X has {n}")
        if loss_name == "softmax_cross_entropy" and y.ndim == 1:
            if y.dtype.kind not in "iu":
                if y.dtype.kind == "f" and np.all(np.mod(y, 1) == 0):
                    y = y.astype(np.int64)
                else:
                    raise ValueError(f"{name} must hold integer class labels for "
                                     f"softmax_cross_entropy, got dtype {y.dtype}")
            n_out = self.output_shape(self.input_shape)[-1]
            bad = np.flatnonzero((y < 0) | (y >= n_out))
            if bad.size:
                raise ValueError(f"{name}[{bad[0]}] = {y[bad[0]]} is not a class label of the "
                                 f"model's {n_out} outputs (0..{n_out - 1})")
            return y.astype(np.int64, copy=False)
        return as_float_array(y, name, dtype=self.model_dtype, check_finite=True)

    def fit(self, X, y, *, loss="softmax_cross_entropy", optimizer=None, epochs=10,
            batch_size=32, validation_data=None, shuffle=True, random_state=None,
            progress=True, clip_norm=None, scheduler=None):
        """Train with mini-batch gradient descent.

        Parameters
        ----------
        X : array_like, shape (n_samples, ...)
        y : array_like
            Integer labels for ``softmax_cross_entropy``, else targets shaped like outputs.
        loss : str or callable
            A :mod:`lamina.losses` name or ``fn(prediction, target) -> (loss, grad)``.
        optimizer : Optimizer, default SGD(lr=0.01)
        epochs, batch_size : int
        validation_data : (X_val, y_val), optional
        shuffle : bool
        random_state : int, optional
            Seed for shuffling (with the model's ``random_state``, training is deterministic).
        progress : bool
            Show a tqdm bar over all batches with the epoch, running loss and metrics.
        clip_norm : float, optional
            Clip the global gradient norm to this value before each step.
        scheduler : object with ``step()``, optional
            Learning-rate schedule stepped once per epoch.

        Returns
        -------
        History
            Lists per epoch: ``loss``, ``accuracy`` (classification), ``val_loss``,
            ``val_accuracy``, ``time``.
        """
        X = self._prepare_x(X)
        loss_name, loss_fn = _loss_function(loss)
        y = self._check_targets(y, X.shape[0], loss_name)
        epochs = int(epochs)
        batch_size = int(batch_size)
        if epochs < 0 or batch_size < 1:
            raise ValueError(f"need epochs >= 0 and batch_size >= 1, got {epochs}, {batch_size}")
        optimizer = optimizer if optimizer is not None else SGD(lr=0.01)
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be a lamina.nn optimizer, got {optimizer!r}")
        params, grads = list(self.parameters().values()), list(self.gradients().values())
        if len(optimizer._pairs) != len(params) or any(
                p is not q or g is not h
                for (p, g), q, h in zip(optimizer._pairs, params, grads, strict=True)):
            optimizer.attach(params, grads)
        if validation_data is not None:
            X_val = self._prepare_x(validation_data[0], "validation X")
            y_val = self._check_targets(validation_data[1], X_val.shape[0], loss_name,
                                        "validation y")
        classify = loss_name == "softmax_cross_entropy" and y.ndim == 1
        # by name, with labels checked above and no backend configured for dispatch: the
        # loss kernel is called directly (what the dispatching wrapper would run)
        fast_ce = classify and isinstance(loss, str) and dispatch_is_default()
        rng = np.random.default_rng(random_state)
        history = History(loss=[], time=[])
        if classify:
            history["accuracy"] = []
        if validation_data is not None:
            history["val_loss"] = []
            if classify:
                history["val_accuracy"] = []
        n = X.shape[0]
        if n == 0:
            raise ValueError("X has no samples to train on")
        # rows as one flat 2-D array for the threaded mini-batch gather (None: a copy
        # would cost more than NumPy's indexing saves)
        X_rows = X.reshape(n, -1) if X.flags.c_contiguous else None
        n_batches = max(1, math.ceil(n / batch_size))
        # Dense-only models take the same kernel calls on preallocated buffers (see
        # _dense_stack); anything else goes through the layers' own passes.
        stack = DenseStackStep.for_model(self, X_rows, threads())
        bar = _progress_bar(epochs * n_batches, "training") if progress and epochs else None
        try:
            history = self._fit_epochs(X, y, X_rows, stack, loss, loss_fn, fast_ce, classify,
                                       optimizer, grads, epochs, batch_size, n_batches,
                                       shuffle, rng, history,
                                       None if validation_data is None else (X_val, y_val),
                                       clip_norm, scheduler, bar)
        finally:
            if stack is not None:
                stack.commit()
        if bar is not None:
            bar.close()
        return history

    def _fit_epochs(self, X, y, X_rows, stack, loss, loss_fn, fast_ce, classify, optimizer,
                    grads, epochs, batch_size, n_batches, shuffle, rng, history, validation,
                    clip_norm, scheduler, bar):
        n = X.shape[0]
        next_postfix = 0.0
        sgd_in_stack = stack is not None and stack.takes_optimizer(optimizer)
        for epoch in range(epochs):
            start = time.perf_counter()
            order = rng.permutation(n) if shuffle else np.arange(n)
            total_loss, correct, seen = 0.0, 0, 0
            for b in range(n_batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                yb = y[idx]
                if stack is not None:
                    out = stack.gather_forward(idx)
                else:
                    out = self.forward(_take_rows(X, X_rows, idx), training=True)
                try:
                    if fast_ce and (stack is not None or _plain_float_matrix(out)):
                        value, grad = _mean_over_labels(
                            out, yb, threads(), *(stack.loss_buffers() if stack else ()))
                    else:
                        # a custom loss may keep its input: give it an array of its own
                        # (the engine's output buffer is written again next step)
                        value, grad = loss_fn(out.copy() if stack is not None else out, yb)
                except ValueError as exc:
                    if np.isfinite(out).all():
                        raise
                    if bar is not None:
                        bar.close()
                    raise FloatingPointError(
                        f"training diverged in epoch {epoch + 1}: the model's outputs are "
                        "not finite (lower the learning rate?)") from exc
                if stack is not None:
                    stack.backward_parameters(grad)
                else:
                    self.backward_parameters(grad)
                if clip_norm is not None:
                    clip_grad_norm(grads, clip_norm)
                if sgd_in_stack:
                    stack.optimizer_step()
                else:
                    optimizer.step()
                total_loss += float(value) * idx.size
                seen += idx.size
                if classify:
                    correct += _count_correct(out, yb)
                if bar is not None:
                    # The postfix is formatted only as often as the bar redraws (a few
                    # times a second) and on an epoch's last batch: per batch it would cost
                    # a noticeable share of a small model's step.
                    now = time.perf_counter()
                    if now >= next_postfix or b == n_batches - 1:
                        next_postfix = now + bar.mininterval
                        post = {"epoch": f"{epoch + 1}/{epochs}",
                                "loss": f"{total_loss / seen:.4f}"}
                        if classify:
                            post["acc"] = f"{correct / seen:.3f}"
                        if history.get("val_accuracy"):
                            post["val_acc"] = f"{history['val_accuracy'][-1]:.3f}"
                        bar.set_postfix(post, refresh=False)
                    bar.update(1)
            if not math.isfinite(total_loss):
                if bar is not None:
                    bar.close()
                raise FloatingPointError(f"training diverged in epoch {epoch + 1}: the loss "
                                         "is not finite (lower the learning rate?)")
            history["loss"].append(total_loss / seen)
            if classify:
                history["accuracy"].append(correct / seen)
            if validation is not None:
                scores = self.evaluate(*validation, loss=loss)
                history["val_loss"].append(scores["loss"])
                if classify:
                    history["val_accuracy"].append(scores["accuracy"])
            if scheduler is not None:
                scheduler.step()
            history["time"].append(time.perf_counter() - start)
        return history

    def evaluate(self, X, y, *, loss="softmax_cross_entropy", batch_size=1024):
        """Mean loss (and accuracy for classification) on ``(X, y)``; inference mode."""
        X = self._prepare_x(X)
        loss_name, loss_fn = _loss_function(loss)
        y = self._check_targets(y, X.shape[0], loss_name)
        out = self.predict(X, batch_size=batch_size)
        value, _ = loss_fn(out, y)
        scores = {"loss": float(value)}
        if loss_name == "softmax_cross_entropy" and y.ndim == 1:
            scores["accuracy"] = float(np.mean(out.argmax(axis=1) == y))
        return scores

    # -- persistence ----------------------------------------------------------------------
    def get_config(self):
        return {"dtype": self.model_dtype.name, "random_state": self.random_state}

    def save(self, path):
        """Save as a ``.npz`` of arrays plus a JSON description (no pickled code).

        Layers are recorded by their registered name (``lamina.layers`` entry point) and
        constructor arguments; :func:`lamina.nn.load` rebuilds them.
        """
        self._require_built("save")
        from lamina.nn._registry import registered_name

        description = {
            "format": _FORMAT,
            "config": self.get_config(),
            "input_shape": list(self.input_shape),
            "layers": [{"name": registered_name(layer), "config": layer.get_config()}
                       for layer in self.layers],
        }
        arrays = {f"param:{k}": v for k, v in self.parameters().items()}
        arrays.update({f"buffer:{k}": v for k, v in self.buffers().items()})
        arrays["__description__"] = np.frombuffer(json.dumps(description).encode(), np.uint8)
        with open(path, "wb") as fh:
            np.savez(fh, **arrays)


def load(path):
    """Load a model saved with :meth:`Sequential.save` (arrays only; no code is unpickled)."""
    from lamina.nn._registry import get_layer

    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"{path!r} is not a lamina model file: {exc}") from None
    with data:
        if "__description__" not in data:
            raise ValueError(f"{path!r} is not a lamina model file (no description)")
        description = json.loads(data["__description__"].tobytes().decode())
        if description.get("format") != _FORMAT:
            raise ValueError(f"{path!r}: unsupported format {description.get('format')!r}")
        layers = [get_layer(spec["name"])(**spec["config"]) for spec in description["layers"]]
        model = Sequential(layers, **description["config"])
        model.build(description["input_shape"])
        state = {}
        for key in data.files:
            if key.startswith(("param:", "buffer:")):
                state[key.split(":", 1)[1]] = data[key]
    targets = dict(model.parameters())
    targets.update(model.buffers())
    if set(targets) != set(state):
        raise ValueError(f"{path!r}: saved arrays {sorted(state)} do not match the model's "
                         f"{sorted(targets)}")
    for key, target in targets.items():
        target[...] = state[key]
    return model


def _progress_bar(total, desc):
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install tqdm (or pass "
                          "progress=False)") from None
    return tqdm(total=total, desc=desc, unit="batch", dynamic_ncols=True)
