"""Training on several GPUs or several machines with `tf.distribute`.

- one machine, several GPUs: `MirroredStrategy` (one replica per GPU);
- several machines: `MultiWorkerMirroredStrategy`, configured by the `TF_CONFIG` environment
  variable that cluster schedulers set (or that you set, see the README), one process per machine.

The batch size of a run is *per replica*: the global batch is it times the number of replicas,
so the per-GPU memory and the per-step statistics stay the paper's. Every worker trains; only
the chief (the "chief" task, or worker 0 when there is none) writes the experiment folder.

Keras 3's `fit()` trips over two things under `MultiWorkerMirroredStrategy`
(keras-team/keras#20585): it reduces the first batch eagerly to build the model, and it reduces
scalar logs along axis 0. `fitting()` and the strategy subclass below route around both, and the
two-worker test (`tests/research/training/test_distribution.py`) checks that the workers end with
equal weights.
"""

import contextlib
import json
import os

import tensorflow as tf

from colornn_keras import defaults
from colornn_keras import errors

STRATEGIES = defaults.STRATEGIES


class _MultiWorkerMirroredStrategy(tf.distribute.MultiWorkerMirroredStrategy):
    """`MultiWorkerMirroredStrategy` that reduces a scalar whatever axis Keras asks for."""

    def reduce(self, reduce_op, value, axis):
        shape = getattr(value, "shape", None)
        if axis is not None and shape is not None and shape.rank == 0:
            axis = None  # A scalar has no axis 0; Keras asks for one when averaging logs.
        return super().reduce(reduce_op, value, axis)


def cluster_spec():
    """The `TF_CONFIG` cluster and task, or (None, None) when it is not set."""
    config = os.environ.get("TF_CONFIG")
    if not config:
        return None, None
    try:
        parsed = json.loads(config)
        return parsed["cluster"], parsed["task"]
    except (ValueError, KeyError) as error:
        raise errors.ColorNNError(f"TF_CONFIG is not a valid cluster configuration ({error}): {config[:200]}") from error


def is_chief():
    """True on the task that writes records: the "chief", or worker 0 when the cluster has none."""
    cluster, task = cluster_spec()
    if cluster is None:
        return True
    if task["type"] == "chief":
        return True
    return task["type"] == "worker" and int(task["index"]) == 0 and "chief" not in cluster


def strategy_from(name="auto"):
    """A `tf.distribute` strategy by name; "auto": several workers in TF_CONFIG -> multi-worker,
    several GPUs -> mirrored, else the default (no distribution).

    Create it before anything else touches TensorFlow: a multi-worker strategy configures the
    process' collective communication.
    """
    if name not in STRATEGIES:
        raise ValueError(f"distribute must be one of {STRATEGIES}, got {name!r}.")
    cluster, _ = cluster_spec()
    workers = 0 if cluster is None else sum(len(cluster.get(kind, [])) for kind in ("chief", "worker"))
    if name == "auto":
        if workers > 1:
            name = "multi_worker"
        elif len(tf.config.list_physical_devices("GPU")) > 1:
            name = "mirrored"
        else:
            name = "none"
    if name == "multi_worker":
        if workers < 1:
            raise errors.ColorNNError("Multi-worker training needs TF_CONFIG describing the cluster (see the README).")
        return _MultiWorkerMirroredStrategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


@contextlib.contextmanager
def fitting(model, strategy):
    """The context in which to call `model.fit` under `strategy`.

    Under a multi-worker strategy the model forgets the strategy it was built in, so Keras defers
    building to the traced train step (instead of an eager reduction that fails), and `fit` runs
    in the strategy's scope, where Keras finds it again.
    """
    if is_multi_worker(strategy):
        model._distribute_strategy = None
    with strategy.scope():
        yield
