"""Running a :class:`~zoo.ghn.graph.NetworkGraph`: a stateless forward pass over an explicit parameter dict (what the
GHN trains through) and :class:`GraphNetwork`, the same network as a Keras model owning its parameters."""
import keras
import tensorflow as tf

from zoo.ghn.graph import NetworkGraph

BN_EPSILON = 1e-5
STEM_STRIDE = 2


def normalized_nodes(graph):
    """``{node name: channels}`` of the nodes that end in batch normalization (stem, cell inputs, convolutions,
    and with ``graph.cell_output_norm == "batch_norm"`` the cell outputs)."""
    nodes = {}
    for name, shape in graph.parameter_shapes().items():
        node, kind = name.rsplit("/", 1)
        if kind == "pointwise" or (kind == "kernel" and len(shape) == 4):
            nodes[node] = shape[-1]
    if graph.cell_output_norm == "batch_norm":
        output = graph.cell.num_nodes - 1
        for m, (channels, _) in enumerate(graph.cell_layout(), start=1):
            nodes[f"m{m}/n{output}"] = channels
    return nodes


def network_forward(graph, params, images, training=True, bn_state=None, bn_momentum=0.9, bn_group_size=None):
    """Logits of ``graph`` with parameters ``params`` on ``images`` (floats in [0, 255], NHWC).

    Batch normalization has no affine parameters (the convolution after it is free to scale). Without
    ``bn_state`` it always normalises with the batch's statistics, as GHN training and evaluation do (the GHN
    predicts no running statistics; ppuda evaluates the same way). With ``bn_state`` (``{node: (mean, variance)}``
    variables) training batches update the moving averages and inference uses them.

    Args:
        graph: a :class:`NetworkGraph`.
        params: ``{name: tensor}`` with every name and shape of ``graph.parameter_shapes()``.
        images: ``(batch, H, W, graph.image_channels)``.
        training: whether batch normalization uses (and, with ``bn_state``, records) batch statistics.
        bn_state: optional moving statistics.
        bn_momentum: moving-average momentum.
        bn_group_size: with batch statistics and no ``bn_state``, normalise each consecutive group of this many
            images by the group's own statistics (ghost batch normalization): one pass gives what separate passes
            over the groups give, with a fraction of the per-op overhead. Must divide the batch.
    """
    images = tf.convert_to_tensor(images)
    if images.shape.rank != 4 or images.shape[-1] != graph.image_channels:
        raise ValueError(f"images must be (batch, height, width, {graph.image_channels}), got {images.shape}")
    if bn_group_size is not None:
        if bn_state is not None or not training:
            raise ValueError("bn_group_size needs batch statistics without bn_state (training=True, bn_state=None)")
        if not isinstance(bn_group_size, int) or bn_group_size < 1 or images.shape[0] % bn_group_size:
            raise ValueError(f"bn_group_size must be a positive integer dividing the batch ({images.shape[0]}), "
                             f"got {bn_group_size!r}")

    def normalize(name, x):
        if bn_state is not None and not training:
            return tf.nn.batch_normalization(x, *bn_state[name], None, None, BN_EPSILON)
        if bn_group_size is not None and bn_group_size < x.shape[0]:
            return _ghost_batch_norm(x, bn_group_size)
        y, mean, variance = _batch_statistics_norm(x)
        if bn_state is not None:
            count = tf.cast(tf.size(x) // x.shape[-1], tf.float32)
            variance *= (count - 1) / count  # the op returns the unbiased variance; keep the biased one, as Keras
            moving_mean, moving_variance = bn_state[name]
            moving_mean.assign(bn_momentum * moving_mean + (1 - bn_momentum) * mean)
            moving_variance.assign(bn_momentum * moving_variance + (1 - bn_momentum) * variance)
        return y

    x = tf.cast(images, tf.float32) / 255.0
    x = normalize("m0/n1", tf.nn.conv2d(x, params["m0/n1/kernel"], STEM_STRIDE, "SAME"))
    modules = graph.modules()
    for m, module in enumerate(modules[1:-1], start=1):
        x = _cell_forward(graph.cell, module.types, x, params, f"m{m}", normalize,
                          normalize_output=graph.cell_output_norm == "batch_norm")
    head = f"m{len(modules) - 1}"
    return tf.matmul(tf.reduce_mean(x, axis=[1, 2]), params[f"{head}/n1/kernel"])


def _batch_statistics_norm(x):
    """``(normalised x, mean, unbiased variance)`` over all but the channel axis, without affine parameters."""
    channels = x.shape[-1]
    # the fused kernel is ~4× faster on CPU than moments + batch_normalization (it dominated GHN scoring)
    return tf.compat.v1.nn.fused_batch_norm(x, tf.ones([channels]), tf.zeros([channels]), epsilon=BN_EPSILON,
                                            is_training=True)


def _ghost_batch_norm(x, group_size):
    """Batch normalization of each consecutive ``group_size`` images by their own statistics, as one fused op: the
    groups are folded into the channel axis, so each (group, channel) pair gets its own statistics."""
    batch, height, width, channels = x.shape
    groups = batch // group_size
    folded = tf.transpose(tf.reshape(x, [groups, group_size, height, width, channels]), [1, 2, 3, 0, 4])
    folded = tf.reshape(folded, [group_size, height, width, groups * channels])
    y, _, _ = _batch_statistics_norm(folded)
    y = tf.transpose(tf.reshape(y, [group_size, height, width, groups, channels]), [3, 0, 1, 2, 4])
    return tf.reshape(y, [batch, height, width, channels])


def _cell_forward(cell, types, x, params, prefix, normalize, normalize_output=False):
    outputs = []
    for v, node_type in enumerate(types):
        name = f"{prefix}/n{v}"
        if v == 0:
            stride = 2 if node_type == "cell_input_reduce" else 1
            outputs.append(normalize(name, tf.nn.conv2d(tf.nn.relu(x), params[f"{name}/kernel"], stride, "SAME")))
        elif node_type == "cell_output":
            y = tf.add_n([outputs[u] for u in cell.inputs[v]])
            outputs.append(normalize(name, y) if normalize_output else y)
        elif node_type == "zero":
            outputs.append(tf.zeros_like(outputs[0]))
        else:
            y = tf.add_n([apply_op(node_type, outputs[u], params, name) for u in cell.inputs[v]])
            outputs.append(normalize(name, y) if node_type.startswith(("sep", "dil")) else y)
    return outputs[-1]


def apply_op(op, x, params, name):
    """One cell operation on one input. A convolution node normalises the sum over its inputs once (one set of
    statistics per node), which the caller applies."""
    if op in ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5"):
        dilation = 2 if op.startswith("dil") else 1
        y = tf.nn.depthwise_conv2d(tf.nn.relu(x), params[f"{name}/depthwise"], [1, 1, 1, 1], "SAME",
                                   dilations=[dilation, dilation])
        return tf.nn.conv2d(y, params[f"{name}/pointwise"], 1, "SAME")
    if op == "max_pool_3x3":
        return tf.nn.max_pool2d(x, 3, 1, "SAME")
    if op == "avg_pool_3x3":
        return tf.nn.avg_pool2d(x, 3, 1, "SAME")
    if op == "identity":
        return x
    raise ValueError(f"unknown operation {op!r}")


@keras.saving.register_keras_serializable(package="zoo")
class GraphNetwork(keras.Model):
    """A network of the GHN search space as a Keras model: owns one variable per parameter of ``graph`` and the
    batch-normalization moving statistics; ``set_parameters`` loads parameters produced elsewhere (a GHN).

    Call on images ``(batch, H, W, C)`` in [0, 255]; returns logits ``(batch, num_classes)``.

    Args:
        graph: a :class:`~zoo.ghn.graph.NetworkGraph` or its ``to_dict()``.

    Reference: Zhang, Ren, Urtasun. Graph HyperNetworks for Neural Architecture Search. ICLR 2019,
    arXiv:1810.05749.
    """

    def __init__(self, graph, **kwargs):
        super().__init__(**kwargs)
        self.graph = graph if isinstance(graph, NetworkGraph) else NetworkGraph.from_dict(graph)
        self.parameters = {name: self.add_weight(shape=shape, name=name.replace("/", "_"),
                                                 initializer=keras.initializers.HeNormal())
                           for name, shape in self.graph.parameter_shapes().items()}
        self.bn_state = {node: (self.add_weight(shape=(c,), name=node.replace("/", "_") + "_moving_mean",
                                                initializer="zeros", trainable=False),
                                self.add_weight(shape=(c,), name=node.replace("/", "_") + "_moving_variance",
                                                initializer="ones", trainable=False))
                         for node, c in normalized_nodes(self.graph).items()}
        self.built = True  # every weight exists now

    def call(self, images, training=False):
        return network_forward(self.graph, self.parameters, images, training=bool(training), bn_state=self.bn_state)

    def set_parameters(self, params):
        """Assign ``{name: tensor}`` (every parameter of the graph, exact shapes) to the model's variables."""
        missing = set(self.parameters) - set(params)
        if missing:
            raise ValueError(f"params lacks {sorted(missing)[:5]}{' ...' if len(missing) > 5 else ''}")
        for name, variable in self.parameters.items():
            if tuple(params[name].shape) != tuple(variable.shape):
                raise ValueError(f"params[{name!r}] has shape {tuple(params[name].shape)}, the network needs "
                                 f"{tuple(variable.shape)}")
            variable.assign(params[name])

    def calibrate_statistics(self, images, batch_size=250):
        """Set the moving statistics to the mean of the batch statistics over ``images`` (a cumulative average).

        Networks whose parameters come from a GHN have no running statistics; call this before inference
        (``training=False``) or export.
        """
        if len(images) == 0:
            raise ValueError("images must hold at least one image")
        for i, start in enumerate(range(0, len(images), batch_size)):
            network_forward(self.graph, self.parameters, images[start:start + batch_size], training=True,
                            bn_state=self.bn_state, bn_momentum=i / (i + 1))

    def get_config(self):
        return {**super().get_config(), "graph": self.graph.to_dict()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
