"""Per-example weights of a training batch by the paper's meta-gradient (Algorithm 1): the official code's
vector–Jacobian-product shortcut used in training, the explicit look-ahead it replaces, and the rectify /
normalise step. Weights sum to 1 over the batch (or are all zero) and enter the loss as ``Σ_i w_i · C_i``.
"""
import tensorflow as tf


def normalize_weights(raw, replica_context=None):
    """Rectify and normalise: ``w = max(raw, 0) / (Σ max(raw, 0) + δ)``, δ = 1 when the sum is 0 (paper Eq. 6–7).

    An all-zero (or all-negative) ``raw`` gives all-zero weights, so that step updates nothing. With a
    ``replica_context`` of several replicas the sum runs over the global batch.
    """
    rectified = tf.maximum(raw, 0.0)
    total = tf.reduce_sum(rectified)
    if replica_context is not None and replica_context.num_replicas_in_sync > 1:
        total = replica_context.all_reduce("sum", total)
    return rectified / (total + tf.cast(tf.equal(total, 0.0), rectified.dtype))


def meta_gradient_weights(compute_losses, variables, clean_gradients, replica_context=None):
    """The paper's weights by the official code's shortcut, plus what the caller needs for the real update.

    At ε = 0 the look-ahead θ̂ equals θ, so ``−∂L_clean(θ̂)/∂ε_i = α · ∇θ C_i(θ) · ∇θ L_clean(θ)``: the
    derivative w.r.t. ε of ``(∇θ Σ_i ε_i C_i) · g_clean``, a vector–Jacobian product (α cancels in the
    normalisation). The training batch's forward pass is recorded once and reused for the real update.

    Args:
        compute_losses: zero-argument callable running the forward pass on the training batch and returning
            the per-example losses ``C``, shape ``(n,)``.
        variables: the trainable variables θ.
        clean_gradients: ``∇θ`` of the mean clean-batch loss at θ, one tensor per variable (None where unused).
        replica_context: normalise over the global batch of this replica context.

    Returns:
        ``(weights, losses, tape)``: the normalised weights ``(n,)``, the losses ``C``, and the persistent tape
        that recorded them, for ``tape.gradient(losses, variables, output_gradients=weights)``.
    """
    tape = tf.GradientTape(persistent=True)
    with tf.GradientTape(watch_accessed_variables=False) as outer:
        with tape:
            losses = compute_losses()
            epsilon = tf.zeros_like(losses)
            outer.watch(epsilon)
            weighted = tf.reduce_sum(epsilon * losses)
        training_gradients = tape.gradient(weighted, variables)
        alignment = tf.add_n([tf.reduce_sum(g * tf.stop_gradient(c))
                              for g, c in zip(training_gradients, clean_gradients) if g is not None and c is not None])
    scores = outer.gradient(alignment, epsilon, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return tf.stop_gradient(normalize_weights(scores, replica_context)), losses, tape


def lookahead_weights(loss_at, variables, training_batch, clean_batch, step_size=1.0):
    """The paper's Algorithm 1 written out, for checking the shortcut: ε = 0, θ̂ = θ − α∇θ Σ ε_i C_i(θ),
    then ``−∂/∂ε`` of the mean clean loss at θ̂, rectified and normalised.

    Args:
        loss_at: ``loss_at(values, batch) -> per-example losses`` evaluating the model with the variable
            ``values`` (e.g. through ``keras.Model.stateless_call``).
        variables: the trainable variables θ.
        training_batch, clean_batch: whatever ``loss_at`` takes.
        step_size: the look-ahead step α (cancels after normalisation unless the weights are all zero).
    """
    values = [tf.convert_to_tensor(v) for v in variables]
    n = tf.shape(loss_at(values, training_batch))[0]
    epsilon = tf.zeros([n], values[0].dtype)
    with tf.GradientTape() as outer:
        outer.watch(epsilon)
        with tf.GradientTape() as inner:
            inner.watch(values)
            weighted = tf.reduce_sum(epsilon * loss_at(values, training_batch))
        gradients = inner.gradient(weighted, values, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        lookahead = [v - step_size * g for v, g in zip(values, gradients)]
        clean_loss = tf.reduce_mean(loss_at(lookahead, clean_batch))
    return normalize_weights(-outer.gradient(clean_loss, epsilon))


def hard_example_mask(per_example_losses, fraction):
    """1 for the ``ceil(fraction · n)`` highest losses of the batch (ties included), else 0 ("Hard mining")."""
    n = tf.size(per_example_losses)
    k = tf.maximum(1, tf.cast(tf.math.ceil(fraction * tf.cast(n, tf.float32)), tf.int32))
    threshold = tf.math.top_k(per_example_losses, k).values[-1]
    return tf.cast(per_example_losses >= threshold, per_example_losses.dtype)
