"""A Keras model wrapper whose ``train_step`` weights every training example (Ren et al., ICML 2018)."""
import keras
import tensorflow as tf

from zoo.reweight import example_weights

METHODS = ("reweight", "plain", "proportion", "hard_mining", "random")


def _gradients(tape, target, variables, output_gradients=None):
    """``tape.gradient`` with zeros for variables the target does not depend on.

    (``UnconnectedGradients.ZERO`` fails on Keras variables, whose ``dtype`` is a string.)
    """
    gradients = tape.gradient(target, variables, output_gradients=output_gradients)
    return [tf.zeros(v.shape, v.dtype) if g is None else g for g, v in zip(gradients, variables)]


def sparse_cross_entropy(labels, logits):
    """Per-example softmax cross-entropy of integer ``labels`` against ``logits``."""
    return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)


@keras.saving.register_keras_serializable(package="zoo")
class ExampleReweighting(keras.Model):
    """Train ``model`` on ``Σ_i w_i · C_i`` with per-example weights ``w`` computed every step.

    ``method="reweight"`` is the paper's Algorithm 1: ε = 0, a one-step plain-SGD look-ahead on ``Σ ε_i C_i``,
    the gradient of the mean clean-batch loss at the look-ahead w.r.t. ε, rectified and normalised (all-zero
    guard), computed by the official code's vector–Jacobian-product shortcut; then an ordinary step of the
    compiled optimizer on the weighted loss with ``w`` held constant. The clean batch's forward pass runs in
    training mode (batch statistics) without touching moving statistics. The other methods are the paper's
    baselines: ``plain`` (``1/n``), ``proportion`` (inverse class frequency), ``hard_mining`` (equal weight on
    the highest-loss ``hard_fraction``) and ``random`` (rectified Gaussian). Resampling and fine-tuning are
    data-side baselines (:mod:`zoo.reweight.data`).

    Under a ``tf.distribute`` strategy the weights are normalised over the global batch and the clean gradient
    is the global batch's, so N replicas compute what one device computes on the same batches.

    Args:
        model: any Keras classifier mapping inputs to logits.
        method: one of :data:`METHODS`.
        per_example_loss: ``(labels, logits) -> (n,)`` losses (default: sparse softmax cross-entropy).
        class_frequencies: per-class training frequencies (``proportion`` only).
        hard_fraction: fraction of each batch kept by ``hard_mining``.
        seed: seed of the ``random`` weights.

    Data: ``fit`` takes ``(x, y, (x_clean, y_clean))`` batches for ``reweight`` (the training dataset zipped
    with the clean dataset repeated: :func:`zoo.reweight.data.with_clean_batches`) and ``(x, y)`` otherwise.

    Example::

        trainer = zoo.reweight.ExampleReweighting(zoo.load("resnet-32", pretrained=False, input_shape=(32, 32, 1)))
        trainer.compile(keras.optimizers.SGD(0.1, momentum=0.9), metrics=["accuracy"])
        trainer.fit(zoo.reweight.data.with_clean_batches(noisy_ds, clean_ds), epochs=10)

    Reference: Ren, Zeng, Yang, Urtasun. Learning to Reweight Examples for Robust Deep Learning. ICML 2018,
    arXiv:1803.09050.
    """

    def __init__(self, model, method="reweight", per_example_loss=sparse_cross_entropy, class_frequencies=None,
                 hard_fraction=0.5, seed=0, **kwargs):
        super().__init__(**kwargs)
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if method == "proportion" and class_frequencies is None:
            raise ValueError("method='proportion' needs class_frequencies (the training frequency of each class)")
        if not 0 < hard_fraction <= 1:
            raise ValueError(f"hard_fraction must be in (0, 1], got {hard_fraction!r}")
        self.model = model
        self.method = method
        self.per_example_loss = per_example_loss
        self.class_frequencies = None if class_frequencies is None else [float(f) for f in class_frequencies]
        self.hard_fraction = float(hard_fraction)
        self.seed = int(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.zero_weight_tracker = keras.metrics.Mean(name="zero_weights")

    def call(self, inputs, training=None):
        return self.model(inputs, training=training)

    def train_step(self, data):
        gradients, x, y, logits, losses, weights = self._gradients_of(data)
        self.optimizer.apply(gradients, self.model.trainable_variables)
        self.loss_tracker.update_state(tf.reduce_mean(losses))
        self.zero_weight_tracker.update_state(tf.reduce_mean(tf.cast(tf.equal(weights, 0.0), tf.float32)))
        return self.compute_metrics(x, y, logits)

    def replica_step(self, data):
        """The step as :class:`zoo.training.distributed.Loop` runs it: ``(gradients, metrics)`` for
        ``model.trainable_variables`` on this replica's share of the batch (``data`` as :meth:`train_step` takes
        it). The weights are normalised over the global batch and the clean gradient is the global clean batch's,
        so the replicas' gradients sum to the single-device gradient; metrics: this replica's mean loss, fraction
        of zero weights and accuracy."""
        gradients, _, y, logits, losses, weights = self._gradients_of(data)
        correct = tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tf.cast(y, tf.int32))
        return gradients, {"loss": tf.reduce_mean(losses),
                           "zero_weights": tf.reduce_mean(tf.cast(tf.equal(weights, 0.0), tf.float32)),
                           "accuracy": tf.reduce_mean(tf.cast(correct, tf.float32))}

    def _gradients_of(self, data):
        """``(gradients, x, y, logits, per-example losses, example weights)`` of one step on ``data``."""
        if self.method == "reweight":
            if not (isinstance(data, tuple) and len(data) == 3 and isinstance(data[2], tuple)):
                raise ValueError("method='reweight' trains on (x, y, (x_clean, y_clean)) batches; zip the training "
                                 "data with a repeated clean set (zoo.reweight.data.with_clean_batches)")
            x, y, (x_clean, y_clean) = data
        else:
            x, y = data[:2]
        variables = self.model.trainable_variables
        replicas = tf.distribute.get_replica_context()
        num_replicas = replicas.num_replicas_in_sync

        outputs = {}

        def forward():
            outputs["logits"] = self.model(x, training=True)
            if self.model.losses:  # regularisers: each replica adds 1/N, so the all-reduce sum counts them once
                outputs["regularization"] = tf.add_n(self.model.losses) / num_replicas
            return self.per_example_loss(y, outputs["logits"])

        if self.method == "reweight":
            clean_gradients = self._clean_gradients(x_clean, y_clean, replicas)
            weights, losses, tape = example_weights.meta_gradient_weights(
                forward, variables, clean_gradients, replicas)
            gradients = _gradients(tape, losses, variables, output_gradients=weights)
        else:
            with tf.GradientTape(persistent=True) as tape:
                losses = forward()
                weights = tf.stop_gradient(self._baseline_weights(losses, y, replicas))
                weighted = tf.reduce_sum(weights * losses)
            gradients = _gradients(tape, weighted, variables)
        if "regularization" in outputs:
            regularization = _gradients(tape, outputs["regularization"], variables)
            gradients = [g + r for g, r in zip(gradients, regularization)]
        del tape
        return gradients, x, y, outputs["logits"], losses, weights

    def test_step(self, data):
        x, y = data[:2] if isinstance(data, tuple) else data
        logits = self.model(x, training=False)
        self.loss_tracker.update_state(tf.reduce_mean(self.per_example_loss(y, logits)))
        return self.compute_metrics(x, y, logits)

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Update the compiled metrics on the training batch; the third element of a ``reweight`` batch is the
        clean batch, not sample weights, so ``sample_weight`` is ignored."""
        del x, sample_weight
        results = {"loss": self.loss_tracker.result(), "zero_weights": self.zero_weight_tracker.result()}
        compiled = getattr(self, "_compile_metrics", None)
        if compiled is not None:
            compiled.update_state(y, y_pred)
            results.update(compiled.result())
        return results

    @property
    def metrics(self):
        compiled = getattr(self, "_compile_metrics", None)
        return [self.loss_tracker, self.zero_weight_tracker, *([compiled] if compiled is not None else [])]

    def _clean_gradients(self, x_clean, y_clean, replicas):
        """∇θ of the mean clean loss, batch norm in training mode, moving statistics untouched; averaged over
        replicas so every replica uses the global clean batch's gradient."""
        values = [v.value for v in self.model.trainable_variables]
        frozen = [v.value for v in self.model.non_trainable_variables]
        with tf.GradientTape() as tape:
            tape.watch(values)
            logits, _ = self.model.stateless_call(values, frozen, x_clean, training=True)
            clean_loss = tf.reduce_mean(self.per_example_loss(y_clean, logits))
        gradients = tape.gradient(clean_loss, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        if replicas.num_replicas_in_sync > 1:
            gradients = replicas.all_reduce("mean", gradients)
        return gradients

    def _baseline_weights(self, losses, labels, replicas):
        if self.method == "plain":
            raw = tf.ones_like(losses)
        elif self.method == "proportion":
            raw = 1.0 / tf.gather(tf.constant(self.class_frequencies, losses.dtype), tf.cast(labels, tf.int32))
        elif self.method == "hard_mining":
            raw = example_weights.hard_example_mask(losses, self.hard_fraction)
        else:
            step_seed = tf.stack([tf.cast(self.seed, tf.int64), tf.cast(self.optimizer.iterations, tf.int64)])
            replica_seed = step_seed + tf.stack([tf.constant(0, tf.int64), tf.cast(
                replicas.replica_id_in_sync_group, tf.int64) * 1_000_003])
            raw = tf.random.stateless_normal(tf.shape(losses), replica_seed, dtype=losses.dtype)
        return example_weights.normalize_weights(raw, replicas)

    def get_config(self):
        return {**super().get_config(), "model": keras.saving.serialize_keras_object(self.model),
                "method": self.method, "class_frequencies": self.class_frequencies,
                "hard_fraction": self.hard_fraction, "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(config["model"])
        return cls(**config)
