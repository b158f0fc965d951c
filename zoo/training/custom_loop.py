"""A custom training loop for ``MultiWorkerMirroredStrategy``, where Keras 3's ``model.fit`` fails
(keras-team/keras#20585)."""
import keras
import tensorflow as tf


def fit(model, optimizer, strategy, dataset, epochs, steps_per_epoch, global_batch_size, verbose=1):
    """Train ``model`` (built under ``strategy.scope()``) with softmax cross-entropy plus its losses.

    Args:
        model: a classifier producing logits.
        optimizer: a Keras optimizer created under the strategy's scope.
        strategy: any ``tf.distribute`` strategy.
        dataset: an endless stream of ``(inputs, labels)`` batches of the global batch size.
        epochs: number of epochs.
        steps_per_epoch: optimiser steps per epoch.
        global_batch_size: examples per step over all replicas (the loss is averaged over it).
        verbose: show a progress bar per epoch.

    Returns:
        History ``{"loss": [...], "accuracy": [...]}`` with one value per epoch.
    """
    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    loss_mean = keras.metrics.Mean()

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            per_example = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=global_batch_size)
            if model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, tf.cast(tf.argmax(logits, -1), tf.int32) == tf.cast(labels, tf.int32)

    @tf.function
    def train_step(iterator):
        loss, correct = strategy.run(replica_step, args=next(iterator))
        total = strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None)
        hits = strategy.reduce(tf.distribute.ReduceOp.SUM, tf.reduce_sum(tf.cast(correct, tf.float32)), axis=None)
        return total, hits

    history = {"loss": [], "accuracy": []}
    for epoch in range(epochs):
        loss_mean.reset_state()
        hits_total = 0.0
        bar = keras.utils.Progbar(steps_per_epoch, verbose=verbose, stateful_metrics=["loss"])
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs}")
        for step in range(steps_per_epoch):
            loss, hits = train_step(iterator)
            loss_mean.update_state(loss)
            hits_total += float(hits)
            bar.update(step + 1, [("loss", float(loss_mean.result()))])
        history["loss"].append(float(loss_mean.result()))
        history["accuracy"].append(hits_total / (steps_per_epoch * global_batch_size))
    return history
