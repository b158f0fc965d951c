"""One distributed training loop on ``tf.distribute`` for every training tool, with checkpoints to resume from.

A tool describes one optimiser step as a *replica step*: a function of its replica's share of the step's batch
that returns ``(gradients, metrics)``. :class:`Loop` runs it on every replica of the strategy
(:func:`zoo.training.strategies.make_strategy`: one device, ``MirroredStrategy`` over local devices, or
``MultiWorkerMirroredStrategy`` over processes — a custom loop, because Keras 3's ``fit`` fails under the latter,
keras-team/keras#20585), sums the gradients over replicas, applies them with a Keras optimizer, and saves a
``tf.train.CheckpointManager`` checkpoint every ``checkpoint_every`` steps: the variables, the optimizer, the step,
the training seconds and the input iterator's position, so a killed job started again with the same command
continues from its last checkpoint.

How a batch is split: the global batch of step ``k`` — ``batches(k)`` for a function of the step, computed by
every worker — is cut along its first axis into equal contiguous parts, the ``i``-th for replica ``i`` (replicas
are numbered worker by worker; lists are cut the same way). A ``tf.data.Dataset`` instead gives this worker's
batches, the global batch when there is one worker process; under ``MultiWorkerMirroredStrategy`` build it with
:meth:`Loop.input_context` so each worker reads its own share (``zoo.data.pipeline.make_dataset`` takes it), and
each worker batch is cut over the worker's replicas. The conventions that make N replicas compute what one device
computes on the same global batch:

* the gradients a replica step returns are its share of the global objective's gradient — their sum over the
  replicas is the gradient of the global batch's loss: average per-example losses over the *global* batch
  (:func:`global_mean`) and count terms every replica adds in full (regularisers) once (:func:`replica_share`);
* every metric a replica step returns is its replica's mean; the loop reports their mean over replicas;
* batch normalisation must be synchronised (``zoo.layers.blocks`` builds it so), or statistics are per replica.

Gradient clipping (``clip``) acts on the summed gradients, as on one device; the optimizer itself must not clip
(Keras clips each replica's gradients before summing them).
"""
import pathlib
import time

import keras
import tensorflow as tf

from zoo import extras


def replica_share(value):
    """``value`` divided by the number of replicas: one replica's share of a term each replica adds in full (a
    weight penalty, a model's regularisation losses), so the sum over replicas counts it once — or of a mean over
    the replica's (equal) part of the batch, so the sum over replicas is the global batch's mean."""
    return value / tf.distribute.get_replica_context().num_replicas_in_sync


def global_mean(per_example, global_batch_size):
    """This replica's share of the mean of ``per_example`` over the global batch of ``global_batch_size``: the
    sum over replicas of what each returns is the global batch's mean."""
    return tf.reduce_sum(per_example) / tf.cast(global_batch_size, per_example.dtype)


def split_count(total, replicas, what):
    """``total // replicas``, with a ``ValueError`` naming ``what`` when ``total`` is not a multiple of it."""
    if total % replicas:
        raise ValueError(f"{what} ({total}) must be a multiple of the number of replicas ({replicas})")
    return total // replicas


class Replicated:
    """A part of a batch that every replica takes whole (e.g. the image batch that all of a GHN step's
    architectures are trained on), where the rest of the batch is split.

    Args:
        value: what every replica gets.
    """

    def __init__(self, value):
        self.value = value


def local_part(batch, index, count):
    """Part ``index`` of ``count`` equal contiguous parts of ``batch``: dicts and tuples are structure (cut each
    member), lists are items (cut the list), :class:`Replicated` values go whole to every part, anything else is an
    array cut along its first axis."""
    if isinstance(batch, Replicated):
        return batch.value
    if isinstance(batch, dict):
        return {key: local_part(value, index, count) for key, value in batch.items()}
    if isinstance(batch, tuple):
        return tuple(local_part(value, index, count) for value in batch)
    if isinstance(batch, list):
        size = split_count(len(batch), count, "the number of items in a batch")
    else:
        size = split_count(int(batch.shape[0]), count, "the batch size")
    return batch[index * size:(index + 1) * size]


class Loop:
    """The training loop of every tool: a replica step on every replica, summed gradients, checkpoints.

    Args:
        strategy: a ``tf.distribute`` strategy; create the model and the optimizer under ``strategy.scope()``.
        optimizer: a Keras optimizer without ``clipnorm``, ``clipvalue`` or ``global_clipnorm`` (use ``clip``).
        variables: the variables the replica steps' gradients are for, in the same order.
        saved: more objects to checkpoint, by name: the models' weights as a list (``model.weights``; a Keras 3
            model itself is not followed by ``tf.train.Checkpoint``), averages, ... The variables in
            ``variables`` are always saved.
        clip: a function of the summed gradients (a list) returning the gradients to apply, e.g. a global-norm
            clip; ``None`` applies the sum as it is.
        checkpoint_dir: where checkpoints are kept (the latest is restored by the first :meth:`run`); ``None``
            keeps none. Under ``MultiWorkerMirroredStrategy`` worker ``i`` > 0 keeps its own in ``worker-i``
            inside it (its input iterator differs from the chief's).
        checkpoint_every: steps between checkpoints (the last step is always saved).
        summary_dir: TensorBoard scalars of every step's metrics (written by the chief), or ``None``.

    Attributes:
        step: the optimiser steps taken (a variable, checkpointed).
        seconds: training seconds over every session of the run (checkpointed).
    """

    def __init__(self, strategy, optimizer, variables, *, saved=None, clip=None, checkpoint_dir=None,
                 checkpoint_every=100, summary_dir=None):
        for option in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(optimizer, option, None):
                raise ValueError(f"the optimizer's {option} would clip each replica's gradients before they are "
                                 f"summed; pass clip= to the loop instead")
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be positive, got {checkpoint_every}")
        self.strategy = strategy
        self.optimizer = optimizer
        self.variables = list(variables)
        self.clip = clip
        self.checkpoint_every = checkpoint_every
        self.replicas = strategy.num_replicas_in_sync
        self.worker, self.workers = worker_index(strategy), worker_count(strategy)
        self.local_replicas = self.replicas // self.workers
        with strategy.scope():
            if not optimizer.built:
                optimizer.build(self.variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
            self.seconds = tf.Variable(0.0, dtype=tf.float64, trainable=False, name="seconds")
        self._saved = {"variables": self.variables, "optimizer": list(optimizer.variables), "step": self.step,
                       "seconds": self.seconds, **(saved or {})}
        self._directory = None
        if checkpoint_dir:
            self._directory = pathlib.Path(checkpoint_dir)
            if self.worker:
                self._directory = self._directory / f"worker-{self.worker}"
        self._track()
        self._restored = False
        self._writer = None
        if summary_dir and not self.worker:
            extras.require("tensorboard", "train", "TensorBoard logs of training")  # tf.summary's scalars live there
            self._writer = tf.summary.create_file_writer(str(summary_dir))

    def _track(self, iterator=None):
        """The checkpoint and its manager over the saved objects (and the input iterator, when given)."""
        self._checkpoint = tf.train.Checkpoint(**self._saved, **({"iterator": iterator} if iterator else {}))
        self._manager = None
        if self._directory:
            self._manager = tf.train.CheckpointManager(self._checkpoint, str(self._directory), max_to_keep=2)

    def input_context(self):
        """The ``tf.distribute.InputContext`` of this worker's input: one input pipeline per worker process, whose
        "per-replica" batch size (``get_per_replica_batch_size(global)``) is the worker's batch."""
        return tf.distribute.InputContext(num_input_pipelines=self.workers, input_pipeline_id=self.worker,
                                          num_replicas_in_sync=self.workers)

    def restore(self):
        """Restore the latest checkpoint, if any (the first :meth:`run` does); returns the step it is at.

        Workers keep their last two checkpoints and restore the latest step they all have: a job killed while
        one worker had written its checkpoint and another not yet resumes in step.
        """
        if self._restored:
            return int(self.step.numpy())
        self._restored = True
        if not self._manager:
            return 0
        kept = {int(path.rsplit("-", 1)[1]): path for path in self._manager.checkpoints}
        step = max(kept, default=0)
        if self.workers > 1:
            step = self._common_step(step)
        if step:
            if step not in kept:
                raise RuntimeError(f"the workers' latest common checkpoint, step {step}, is not among this worker's "
                                   f"({sorted(kept)} in {self._manager.directory})")
            self._checkpoint.restore(kept[step]).assert_existing_objects_matched()
            print(f"resumed from {kept[step]} at step {step}", flush=True)
        return step

    def _common_step(self, step):
        """The smallest of the workers' ``step`` values (a collective: every worker calls it)."""
        values = self.strategy.experimental_distribute_values_from_function(
            lambda context: tf.constant([step], tf.int64))
        return int(tf.reduce_min(self.strategy.gather(values, axis=0)).numpy())

    def save(self):
        """Write a checkpoint now (no-op without ``checkpoint_dir``)."""
        if not self._manager:
            return
        try:
            self._manager.save(checkpoint_number=int(self.step.numpy()))
        except tf.errors.FailedPreconditionError as err:  # an input pipeline with Python state cannot be saved
            if not hasattr(self._checkpoint, "iterator"):
                raise
            print(f"the input iterator cannot be checkpointed ({err.message.splitlines()[0]}); checkpoints keep the "
                  "model and optimizer only, and a resumed run restarts its input stream", flush=True)
            self._track()
            self._manager.save(checkpoint_number=int(self.step.numpy()))

    def run(self, replica_step, batches, steps, *, compiled=True, callback=None, verbose=1):
        """Take optimiser steps until :attr:`step` reaches ``steps`` (none when it already has).

        Args:
            replica_step: ``replica_step(local_batch) -> (gradients, metrics)`` (see the module docstring); it
                runs in a ``tf.function`` unless ``compiled`` is False.
            batches: a function ``batches(k) -> global batch of step k`` (nested arrays and lists; a pure function
                of ``k`` resumes exactly), or a ``tf.data.Dataset`` of this worker's batches (see the module
                docstring), read from where the last checkpoint left it (its iterator is checkpointed; one dataset
                per loop).
            steps: the step count to reach.
            compiled: run the replica step as a ``tf.function``; False runs it eagerly, for steps whose batch holds
                Python objects (e.g. the GHN's architectures).
            callback: ``callback(step, metrics) -> stop?`` after each step (``step`` counts from 1; metrics are
                floats); a true return ends the run after saving a checkpoint.
            verbose: 1 shows a progress bar with the metrics, 0 nothing.

        Returns:
            ``[{"step": k, **metrics}, ...]`` for the steps this call took.
        """
        iterator = None
        if isinstance(batches, tf.data.Dataset):
            iterator = iter(batches)
            self._track(iterator)
        start = self.restore()
        step_function = self._compiled_step(replica_step) if compiled else self._eager_step(replica_step)
        history = []
        bar = keras.utils.Progbar(steps, verbose=verbose, interval=5)
        bar.update(start)
        for k in range(start, steps):
            batch = next(iterator) if iterator is not None else self._worker_batch(batches(k))
            started = time.perf_counter()
            metrics = {name: float(value) for name, value in step_function(batch).items()}
            self.seconds.assign_add(time.perf_counter() - started)
            self.step.assign_add(1)
            history.append({"step": k + 1, **metrics})
            self._summarise(k + 1, metrics)
            bar.update(k + 1, list(metrics.items()))
            stop = bool(callback and callback(k + 1, metrics))
            if stop or (k + 1) % self.checkpoint_every == 0 or k + 1 == steps:
                self.save()
            if stop:
                break
        return history

    def _apply(self, gradients):
        """Apply this replica's gradients (in replica context): summed over replicas by the optimizer, or summed
        here first and clipped when there is a ``clip``. Sparse gradients (``IndexedSlices``, e.g. of an embedding)
        are made dense: the optimizer's sparse update of summed slices differs from its dense update."""
        gradients = [tf.zeros_like(v) if g is None else tf.convert_to_tensor(g)
                     for g, v in zip(gradients, self.variables)]
        if self.clip is not None:
            context = tf.distribute.get_replica_context()
            if self.replicas > 1:
                gradients = context.all_reduce(tf.distribute.ReduceOp.SUM, gradients)
            gradients = list(self.clip(gradients))
            if self.replicas > 1:  # every replica now holds the sum; the optimizer sums the replicas' copies
                gradients = [tf.math.scalar_mul(1.0 / self.replicas, g) for g in gradients]
        self.optimizer.apply(gradients, self.variables)

    def _replica_function(self, replica_step):
        def replica(local_batch):
            gradients, metrics = replica_step(local_batch)
            self._apply(gradients)
            return metrics

        return replica

    def _reduce(self, metrics):
        return {name: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for name, value in metrics.items()}

    def _local_index(self, context):
        return context.replica_id_in_sync_group - self.worker * self.local_replicas

    def _worker_batch(self, batch):
        return local_part(batch, self.worker, self.workers) if self.workers > 1 else batch

    def _compiled_step(self, replica_step):
        replica = self._replica_function(replica_step)

        @tf.function
        def step(distributed):
            return self._reduce(self.strategy.run(replica, args=(distributed,)))

        def distribute_and_step(batch):
            if self.replicas == 1:
                return step(tf.nest.map_structure(tf.convert_to_tensor, batch))
            distributed = self.strategy.experimental_distribute_values_from_function(
                lambda context: tf.nest.map_structure(tf.convert_to_tensor, local_part(
                    batch, int(tf.get_static_value(self._local_index(context))), self.local_replicas)))
            return step(distributed)

        return distribute_and_step

    def _eager_step(self, replica_step):
        replica = self._replica_function(replica_step)

        def step(batch):
            def local():
                context = tf.distribute.get_replica_context()
                index = int(tf.get_static_value(self._local_index(context)))
                return replica(local_part(batch, index, self.local_replicas))

            return self._reduce(self.strategy.run(local))

        return step

    def _summarise(self, step, metrics):
        if self._writer is None:
            return
        with self._writer.as_default():
            for name, value in metrics.items():
                tf.summary.scalar(name, value, step=step)


def worker_index(strategy):
    """This process's worker index under ``MultiWorkerMirroredStrategy`` (0 elsewhere)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 0
    return int(resolver.task_id or 0)


def worker_count(strategy):
    """The number of worker processes the strategy spans (1 but under ``MultiWorkerMirroredStrategy``)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    return len(resolver.cluster_spec().as_dict().get("worker", [])) or 1

