"""Reconstruct-and-backprop over a stack of reversible blocks (RevNet's backward pass, paper Algorithm 1).

A stack of reversible blocks is one ``tf.custom_gradient``. Its forward pass keeps no intermediate
activations; its gradient function walks the blocks from the top, reconstructs each block's inputs from its
outputs and backpropagates through that block alone, so activation memory does not grow with depth. Three
details make the saving real in TF 2 (measured in reference/TF_FEASIBILITY.md §3): a single custom gradient
over the whole stack (per-block ones keep every block output alive), an eager forward pass that is not
recorded on the tape, and, in graph mode, each block's recomputation gated on its incoming gradients so the
executor cannot run all recomputations early.

Batch norm inside the residual functions recomputes the batch statistics of the forward pass (training
mode); the recomputation runs in a ``keras.StatelessScope``, so the moving averages are updated exactly
once per step, by the forward pass.

Blocks are :class:`zoo.revnet.layers.RevBlock`-like: ``forward(x1, x2, training) -> (y1, y2)``,
``reverse(y1, y2, training) -> (x1, x2)`` and residual functions ``f`` and ``g`` with
``y1 = x1 + f(x2)``, ``y2 = x2 + g(y1)``.

Reference: Gomez, Ren, Urtasun, Grosse. The Reversible Residual Network: Backpropagation Without Storing
Activations. NIPS 2017, arXiv:1707.04585.
"""
import keras
import tensorflow as tf
from keras import ops

try:  # private: the API tf.recompute_grad uses to keep a forward pass off the tape (TensorFlow 2.21)
    from tensorflow.python.eager import record
    _stop_recording = record.stop_recording
except (ImportError, AttributeError) as _error:
    raise ImportError(
        f"zoo.revnet.reversible needs tensorflow.python.eager.record.stop_recording, a private TensorFlow API "
        f"(present in TensorFlow 2.21, used by tf.recompute_grad) that TensorFlow {tf.__version__} moved or removed "
        f"({_error}). Find where tf.recompute_grad now keeps its forward pass off the tape and import that "
        "instead (tests/revnet/test_reversible.py checks the behaviour).") from _error


def apply_blocks(blocks, inputs, training=None, reconstruct=True):
    """Apply reversible ``blocks`` in order to ``inputs = [x1, x2]`` (channel halves, concatenated).

    Args:
        blocks: reversible blocks (see the module docstring). With ``reconstruct`` they must be invertible.
        inputs: ``(batch, H, W, C)`` tensor, C even.
        training: training mode (batch norm with batch statistics). The reconstructing gradient is used only
            in training; inference, exports included, is plain computation.
        reconstruct: in training, backpropagate from reconstructed activations (one custom gradient over all
            blocks); False runs plain autodiff through the same computation.

    Returns:
        The outputs ``[y1, y2]`` of the last block, concatenated.
    """
    x1, x2 = ops.split(inputs, 2, axis=-1)
    if training and reconstruct:
        y1, y2 = _reversible_sequence(blocks)(x1, x2)
    else:
        y1, y2 = _forward(blocks, x1, x2, training)
    return ops.concatenate([y1, y2], axis=-1)


def invert_blocks(blocks, outputs, training=None):
    """Reconstruct the inputs of ``blocks`` from their outputs ``[y1, y2]``, from the last block down.

    Args:
        blocks: invertible reversible blocks, in forward order.
        outputs: ``(batch, H, W, C)``, what the blocks returned.
        training: the mode of the forward pass (batch statistics in training, moving averages otherwise).

    Returns:
        The reconstructed inputs ``[x1, x2]``, concatenated.
    """
    y1, y2 = ops.split(outputs, 2, axis=-1)
    for block in reversed(blocks):
        y1, y2 = block.reverse(y1, y2, training)
    return ops.concatenate([y1, y2], axis=-1)


def _forward(blocks, x1, x2, training):
    for block in blocks:
        x1, x2 = block.forward(x1, x2, training)
    return x1, x2


def _reversible_sequence(blocks):
    @tf.custom_gradient
    def reversible_sequence(x1, x2):
        with _stop_recording():
            y1, y2 = _forward(blocks, x1, x2, training=True)

        def grad_fn(dy1, dy2, *, variables):
            variables = list(variables)
            grads = [None] * len(variables)
            z1, z2 = y1, y2
            for block in reversed(blocks):
                with tf.control_dependencies([dy1, dy2]):  # graph mode: recompute only once the gradients arrive
                    z1, z2 = tf.identity(z1), tf.identity(z2)
                z1, z2, dy1, dy2, block_grads = _block_gradients(block, z1, z2, dy1, dy2, variables)
                grads = [_add(total, grad) for total, grad in zip(grads, block_grads)]
            return (dy1, dy2), grads

        return (y1, y2), grad_fn

    return reversible_sequence


def _block_gradients(block, y1, y2, dy1, dy2, variables):
    """Algorithm 1 for one block: reconstruct ``(x1, x2)`` from ``(y1, y2)`` and backpropagate ``(dy1, dy2)``.

    ``z1 = y1``; ``x2 = y2 - G(z1)``; ``x1 = z1 - F(x2)``; ``dz1 = dy1 + (∂G/∂z1)ᵀ dy2``;
    ``dx2 = dy2 + (∂F/∂x2)ᵀ dz1``; ``dx1 = dz1``; ``dwG = (∂G/∂wG)ᵀ dy2``; ``dwF = (∂F/∂wF)ᵀ dz1``.
    G and F run forward once each, inside the tape that differentiates them (4N operations in all).

    Returns:
        ``(x1, x2, dx1, dx2, grads)`` with ``grads`` aligned with ``variables`` (None where unused).
    """
    with keras.StatelessScope():
        with tf.GradientTape() as tape:  # G and F compute in the compute dtype; the halves keep theirs
            tape.watch(y1)
            g_y1 = tf.cast(block.g(y1, training=True), y1.dtype)
        dz1_g, *g_grads = tape.gradient(g_y1, [y1, *variables], output_gradients=dy2)
        dz1 = dy1 + dz1_g
        x2 = y2 - g_y1
        with tf.GradientTape() as tape:
            tape.watch(x2)
            f_x2 = tf.cast(block.f(x2, training=True), x2.dtype)
        dx2_f, *f_grads = tape.gradient(f_x2, [x2, *variables], output_gradients=dz1)
        x1 = y1 - f_x2
    grads = [_add(g, f) for g, f in zip(g_grads, f_grads)]
    # graph mode: the block below starts once this block's weight gradients exist, which frees its activations
    with tf.control_dependencies([grad for grad in grads if grad is not None]):
        dx1, dx2 = tf.identity(dz1), tf.identity(dy2 + dx2_f)
    return x1, x2, dx1, dx2, grads


def _add(a, b):
    if a is None:
        return b
    return a if b is None else a + b
