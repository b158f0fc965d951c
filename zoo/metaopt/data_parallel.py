"""Plain (not differentiated) training of the short-horizon experiments' networks through the shared distributed
loop (:class:`zoo.training.distributed.Loop`): the full runs of the grid search and the hand-tuned baseline take
``--strategy``, each batch split over the replicas. The update is
:class:`~zoo.metaopt.hypergrad.UnrolledTraining`'s TF1 momentum (``a ← μ a + g``, ``θ ← θ − α_t a``) as a Keras
optimizer, so one device computes what :meth:`UnrolledTraining.train` computes. The meta-optimisation itself
(hypergradients through the unroll) is not split: it runs whole on one device.
"""
import keras
import numpy as np
import tensorflow as tf

from zoo.training import distributed


class ScheduledMomentum(keras.optimizers.Optimizer):
    """TF1's ``MomentumOptimizer`` with ``(α_t, μ) = schedule(start_step + t, hyper)`` at step ``t``.

    Args:
        schedule: maps ``(step, λ)`` to ``(α_t, μ)``, e.g. :class:`zoo.metaopt.hypergrad.InverseTimeDecay`.
        hyper: the hyper-parameters ``λ`` (float64).
        start_step: the global step of this optimizer's first update (the schedule depends on it).
    """

    def __init__(self, schedule, hyper, start_step=0, name="scheduled_momentum", **kwargs):
        super().__init__(learning_rate=1.0, name=name, **kwargs)
        self.schedule = schedule
        self.hyper = tf.constant(hyper, tf.float64)
        self.start_step = int(start_step)
        self.accumulators = []

    def build(self, variables):
        """Create one momentum accumulator per variable."""
        if self.built:
            return
        super().build(variables)
        self.accumulators = [self.add_variable_from_reference(v, "accumulator") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        """``a ← μ a + g``; ``θ ← θ − α_t a``."""
        del learning_rate
        lr, momentum = self.schedule(tf.cast(self.iterations, tf.int64) + self.start_step, self.hyper)
        accumulator = self.accumulators[self._get_variable_index(variable)]
        self.assign(accumulator, tf.cast(momentum, accumulator.dtype) * accumulator + gradient)
        self.assign_sub(variable, tf.cast(lr, variable.dtype) * accumulator)


def train(trainer, parameters, accumulators, hyper, data, indices, start_step=0, strategy=None, verbose=False):
    """:meth:`zoo.metaopt.hypergrad.UnrolledTraining.train` through the shared loop under ``strategy`` (default: one
    device): step ``t`` on the examples ``indices[t]`` of ``data``, each replica taking its equal part of the batch
    and adding its share of the batch's mean cross-entropy.

    Returns:
        ``(parameters, accumulators, batch losses)``.
    """
    strategy = strategy or tf.distribute.get_strategy()
    x, y = (np.asarray(d) for d in data)
    indices = np.asarray(indices)
    batch_size = indices.shape[1]
    with strategy.scope():
        model = keras.models.clone_model(trainer.model)
        for variable, value in zip(model.trainable_variables, parameters):
            variable.assign(value)
        optimizer = ScheduledMomentum(trainer.schedule, hyper, start_step)
        optimizer.build(model.trainable_variables)
        for accumulator, value in zip(optimizer.accumulators, accumulators):
            accumulator.assign(value)
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables)

    def replica_step(batch):
        images, labels = batch
        with tf.GradientTape() as tape:
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32),
                                                                         logits=model(images, training=True))
            loss = distributed.global_mean(per_example, batch_size)
        return tape.gradient(loss, model.trainable_variables), {"loss": tf.reduce_mean(per_example)}

    history = loop.run(replica_step, lambda k: (x[indices[k]], y[indices[k]]), len(indices), verbose=int(verbose))
    return ([tf.convert_to_tensor(v.value) for v in model.trainable_variables],
            [tf.convert_to_tensor(a.value) for a in optimizer.accumulators], [entry["loss"] for entry in history])
