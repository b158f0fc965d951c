"""Replica steps (:class:`zoo.training.distributed.Loop`) shared by several tools."""
import keras
import tensorflow as tf

from zoo.training.distributed import global_mean, replica_share


def classification_step(model, global_batch_size, from_logits=True):
    """The replica step of supervised classification: softmax cross-entropy of ``model`` on ``(inputs, labels)``
    averaged over the global batch, plus the model's regularisation losses (its weight decay) counted once.

    Args:
        model: a Keras model mapping the inputs to logits (or probabilities with ``from_logits=False``).
        global_batch_size: examples per step over all replicas.
        from_logits: whether the model's outputs are logits.

    Returns:
        ``replica_step((inputs, labels)) -> (gradients, {"loss", "accuracy"})`` (the replica's mean loss and
        accuracy), gradients for ``model.trainable_variables``.
    """
    def replica_step(batch):
        inputs, labels = batch
        with tf.GradientTape() as tape:
            outputs = model(inputs, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(labels, outputs, from_logits=from_logits)
            loss = global_mean(per_example, global_batch_size)
            if model.losses:
                loss += replica_share(tf.add_n(model.losses))
        gradients = tape.gradient(loss, model.trainable_variables)
        correct = tf.equal(tf.argmax(outputs, -1, output_type=tf.int32), tf.cast(labels, tf.int32))
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        return gradients, {"loss": tf.reduce_mean(per_example), "accuracy": accuracy}

    return replica_step
