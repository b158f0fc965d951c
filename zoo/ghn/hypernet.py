"""The graph hypernetwork: a gated graph neural network over an architecture's graph whose node embeddings a shared
MLP decodes into the parameters of every node (Zhang, Ren, Urtasun, ICLR 2019, arXiv:1810.05749)."""
import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo.ghn.graph import FORWARD, NODE_TYPES, NetworkGraph, shortest_path_lengths, sweep_schedule


def encode_graph(graph, sweeps):
    """The arrays the GHN propagates over, every module padded to the largest one.

    Returns a dict of numpy arrays: ``types`` ``(M, N)`` node-type indices into :data:`NODE_TYPES`, ``mask``
    ``(M, N)`` 1 for real nodes, ``adjacency`` ``(M, N, N)`` with ``[u, v] = 1`` for an edge u → v, ``distance``
    ``(M, N, N)`` shortest-path lengths u → v (0 where unreachable; GHN-2's virtual edges), ``in_channels`` /
    ``out_channels`` ``(M, N)`` each node's channel counts as :func:`channel_class` indices (GHN-2's shape
    encoding), and the propagation schedule ``schedule_nodes`` / ``schedule_directions`` ``(M, S)`` (+1 forward,
    −1 backward, 0 pads).
    """
    modules = graph.modules()
    width = max(module.num_nodes for module in modules)
    schedules = [sweep_schedule(module.num_nodes, module.edges, sweeps) for module in modules]
    length = max(len(s) for s in schedules)
    arrays = {"types": np.zeros((len(modules), width), np.int32), "mask": np.zeros((len(modules), width), np.float32),
              "adjacency": np.zeros((len(modules), width, width), np.float32),
              "distance": np.zeros((len(modules), width, width), np.float32),
              "in_channels": np.zeros((len(modules), width), np.int32),
              "out_channels": np.zeros((len(modules), width), np.int32),
              "schedule_nodes": np.zeros((len(modules), length), np.int32),
              "schedule_directions": np.zeros((len(modules), length), np.int32)}
    for m, (module, channels, schedule) in enumerate(zip(modules, graph.node_channels(), schedules)):
        arrays["types"][m, :module.num_nodes] = [NODE_TYPES.index(t) for t in module.types]
        arrays["mask"][m, :module.num_nodes] = 1
        for u, v in module.edges:
            arrays["adjacency"][m, u, v] = 1
        arrays["distance"][m, :module.num_nodes, :module.num_nodes] = shortest_path_lengths(module.num_nodes,
                                                                                            module.edges)
        arrays["in_channels"][m, :module.num_nodes] = [channel_class(c_in) for c_in, _ in channels]
        arrays["out_channels"][m, :module.num_nodes] = [channel_class(c_out) for _, c_out in channels]
        arrays["schedule_nodes"][m, :len(schedule)] = [v for v, _ in schedule]
        arrays["schedule_directions"][m, :len(schedule)] = [d for _, d in schedule]
    return arrays


CHANNEL_CLASSES = 12
"""Channel counts the shape encoding tells apart: ⌊log2 c⌋, with 2**11 and more sharing the last class."""


def channel_class(channels):
    """The shape-encoding class of a channel count: ⌊log2 channels⌋, capped at ``CHANNEL_CLASSES − 1``."""
    if channels < 1:
        raise ValueError(f"channels must be positive, got {channels}")
    return min(int(channels).bit_length() - 1, CHANNEL_CLASSES - 1)


_INPUTS = ("types", "mask", "adjacency", "distance", "in_channels", "out_channels")
"""The :func:`encode_graph` arrays the propagation takes as tensors (the schedule is unrolled into the graph)."""


def fit_block(block, shape):
    """Cut a predicted ``(s, s, A, B)`` block to a ``(kh, kw, c_in, c_out)`` kernel: the centre ``kh × kw`` window,
    then the channels sliced when the target has fewer and tiled (repeated, then cropped) when it has more — the
    paper's "concatenating multiple kernels of the fixed size … slicing" and ppuda's ``_tile_params``."""
    s_h, s_w, a, b = block.shape
    kh, kw, c_in, c_out = shape
    if kh > s_h or kw > s_w:
        raise ValueError(f"a {kh}×{kw} kernel does not fit in the GHN's {s_h}×{s_w} predicted block")
    top, left = (s_h - kh) // 2, (s_w - kw) // 2
    block = block[top:top + kh, left:left + kw]
    block = tf.tile(block, [1, 1, -(-c_in // a), -(-c_out // b)])
    return block[:, :, :c_in, :c_out]


def block_to_parameter(block, kind, shape):
    """The parameter of ``kind`` (``kernel`` / ``depthwise`` / ``pointwise``) and ``shape`` from a node's block.

    Depthwise kernels come from output slot 0 of the block, pointwise kernels and the classifier from the centre
    tap of slots 1…, so a separable convolution's two tensors use disjoint parts of the block; full convolutions
    use the whole block.
    """
    if kind == "depthwise":
        return fit_block(block[..., :1], shape)
    if kind == "pointwise":
        return fit_block(block[..., 1:], shape)
    if len(shape) == 2:  # classifier
        return fit_block(block[..., 1:], (1, 1) + tuple(shape))[0, 0]
    return fit_block(block, shape)


def fan_in(kind, shape):
    """Inputs feeding one output unit of a parameter (a depthwise kernel sees one channel)."""
    if len(shape) == 2:
        return shape[0]
    return shape[0] * shape[1] * (1 if kind == "depthwise" else shape[2])


@keras.saving.register_keras_serializable(package="zoo")
class GraphHyperNetwork(keras.Model):
    """Predicts every parameter of a :class:`~zoo.ghn.graph.NetworkGraph` from its graph.

    Node embeddings start from a learned embedding of the node type (the paper's one-hot times a matrix). Within
    each module (stem, every cell, head, in order) ``sweeps`` forward–backward sweeps update one node at a time in
    topological order and back (:func:`~zoo.ghn.graph.sweep_schedule`): the node's message is the sum of an MLP of
    its predecessors' (forward) or successors' (backward) embeddings, and a GRU cell updates the node with it. The
    mean embedding of a finished module is a further message to the input node of the next (Eqs. 12–14). A
    2-layer MLP shared by all nodes decodes each embedding into a ``max_shape`` block that
    :func:`block_to_parameter` slices and tiles to each parameter's shape.

    ``ghn.predict_parameters(graph)`` returns ``{name: tensor}`` (differentiable in the GHN's weights);
    ``ghn.build_network(graph)`` returns a :class:`~zoo.ghn.network.GraphNetwork` holding them.

    Args:
        hidden: node embedding / GRU size (paper: 32).
        message_hidden: hidden units of the 2-layer message MLP (paper: 32).
        decoder_hidden: hidden units of the 2-layer decoder MLP (paper: 64).
        sweeps: forward–backward sweeps T per module (paper: 5).
        max_shape: ``(s, s, A, B)`` of each node's predicted block.
        module_handoff: pass each module's mean embedding to the next (ablation in the paper's Table 5).
        normalize: GHN-2's fan-in scaling of predicted kernels, ``× sqrt(1 / fan_in)`` (no ReLU follows a kernel
            in this space, so β = 1).
        layer_norm: GHN-2's layer normalization of the node embeddings before decoding and hand-off.
        virtual_edges: GHN-2's virtual edges, 0 for none: a node also receives, from every ancestor (forward) or
            descendant (backward) 2 … ``virtual_edges`` edges away, a message of a second MLP divided by that
            distance, so information crosses a cell in one update instead of one hop per update.
        shape_encoding: GHN-2's shape encoding: a node's initial embedding also adds learned embeddings of its
            input and output channel counts (:func:`channel_class`), so the cells of different stages start apart
            instead of differing only by what the module hand-off carries in.

    Reference: Zhang, Ren, Urtasun. Graph HyperNetworks for Neural Architecture Search. ICLR 2019,
    arXiv:1810.05749; GHN-2 options from Knyazev et al., NeurIPS 2021.
    """

    def __init__(self, hidden=32, message_hidden=32, decoder_hidden=64, sweeps=5, max_shape=(5, 5, 32, 32),
                 module_handoff=True, normalize=False, layer_norm=False, virtual_edges=0, shape_encoding=False,
                 **kwargs):
        super().__init__(**kwargs)
        if sweeps < 1:
            raise ValueError(f"sweeps must be >= 1, got {sweeps}")
        if len(max_shape) != 4 or max_shape[0] != max_shape[1] or max_shape[3] < 2:
            raise ValueError(f"max_shape must be (s, s, A, B) with B >= 2, got {max_shape}")
        if virtual_edges < 0 or virtual_edges == 1:
            raise ValueError(f"virtual_edges must be 0 (none) or the longest virtual edge >= 2, got {virtual_edges}")
        self.hidden, self.message_hidden, self.decoder_hidden = hidden, message_hidden, decoder_hidden
        self.sweeps, self.max_shape = int(sweeps), tuple(int(d) for d in max_shape)
        self.module_handoff, self.normalize, self.layer_norm = module_handoff, normalize, layer_norm
        self.virtual_edges, self.shape_encoding = int(virtual_edges), bool(shape_encoding)
        self.type_embedding = layers.Embedding(len(NODE_TYPES), hidden, name="type_embedding")
        self.message_mlp = keras.Sequential([layers.Dense(message_hidden, activation="relu"), layers.Dense(hidden)],
                                            name="message_mlp")
        self.virtual_mlp = keras.Sequential([layers.Dense(message_hidden, activation="relu"), layers.Dense(hidden)],
                                            name="virtual_mlp") if virtual_edges else None
        self.channel_embeddings = [layers.Embedding(CHANNEL_CLASSES, hidden, name=f"{side}_channel_embedding")
                                   for side in ("in", "out")] if shape_encoding else []
        self.gru = layers.GRUCell(hidden, name="gru")
        self.embedding_norm = layers.LayerNormalization(name="embedding_norm") if layer_norm else None
        self.decoder = keras.Sequential([layers.Dense(decoder_hidden, activation="relu"),
                                         layers.Dense(int(np.prod(self.max_shape)))], name="decoder")
        self.type_embedding.build((None,))
        for embedding in self.channel_embeddings:
            embedding.build((None,))
        self.message_mlp.build((None, hidden))
        if virtual_edges:
            self.virtual_mlp.build((None, hidden))
        self.gru.build((None, hidden))
        if layer_norm:
            self.embedding_norm.build((None, hidden))
        self.decoder.build((None, hidden))
        self.built = True  # every weight exists now
        self._propagators = {}

    def call(self, encoded):
        """Predicted blocks ``(M, N) + max_shape`` of every node of an :func:`encode_graph` dict, differentiable in
        the GHN's weights."""
        return self._compiled(encoded)(*(tf.convert_to_tensor(encoded[k]) for k in _INPUTS))

    def embed(self, encoded):
        """Node embeddings ``(M, N, hidden)`` after propagation (padding nodes are zero)."""
        schedule = _schedule_of(encoded)
        return self._propagate(schedule, *(tf.convert_to_tensor(encoded[k]) for k in _INPUTS))

    def predict_parameters(self, graph, traced=True):
        """``{name: tensor}`` for every entry of ``graph.parameter_shapes()``, in exactly those shapes.

        ``traced=False`` runs the propagation eagerly instead of through the graph traced once per skeleton: several
        times faster for a single architecture of a new skeleton (tracing the unrolled sweeps takes 30–100 s on two
        cores), slower for many architectures of one skeleton.
        """
        if not isinstance(graph, NetworkGraph):
            raise ValueError(f"graph must be a zoo.ghn.NetworkGraph, got {type(graph).__name__}")
        encoded = encode_graph(graph, self.sweeps)
        inputs = [tf.convert_to_tensor(encoded[k]) for k in _INPUTS]
        blocks = self._compiled(encoded)(*inputs) if traced else self._blocks(_schedule_of(encoded), *inputs)
        params = {}
        for name, shape in graph.parameter_shapes().items():
            node, kind = name.rsplit("/", 1)
            m, v = (int(part[1:]) for part in node.split("/"))
            param = block_to_parameter(blocks[m, v], kind, shape)
            params[name] = param * (1.0 / math.sqrt(fan_in(kind, shape))) if self.normalize else param
        return params

    def build_network(self, graph, calibration_images=None, traced=True):
        """A :class:`~zoo.ghn.network.GraphNetwork` of ``graph`` holding the predicted parameters; with
        ``calibration_images`` its batch-normalization statistics are set from them, ready for inference.
        ``traced`` as in :meth:`predict_parameters`."""
        from zoo.ghn.network import GraphNetwork
        network = GraphNetwork(graph)
        network.set_parameters(self.predict_parameters(graph, traced))
        if calibration_images is not None:
            network.calibrate_statistics(calibration_images)
        return network

    def _compiled(self, encoded):
        # The sweeps are unrolled over the schedule into one graph (a while loop of tiny ops was slower; XLA took
        # minutes to compile it). Every network of one skeleton has the same schedule — cells are stored in
        # topological order — so this traces once per skeleton.
        schedule = _schedule_of(encoded)
        # One trace per replica: a function traced in one replica's context captures that replica's copies of
        # the variables, so another replica calling it would send its gradients to them.
        context = tf.distribute.get_replica_context()
        replica = None if context is None else tf.get_static_value(context.replica_id_in_sync_group)
        key = (tuple(encoded["types"].shape), schedule, None if replica is None else int(replica))
        if key not in self._propagators:
            self._propagators[key] = tf.function(lambda *inputs: self._blocks(schedule, *inputs))
        return self._propagators[key]

    def _blocks(self, schedule, *inputs):
        h = self._propagate(schedule, *inputs)
        blocks = self.decoder(tf.reshape(h, (-1, self.hidden)))
        # the predicted parameters are float32 under any dtype policy: the networks they fill run in float32
        return tf.cast(tf.reshape(blocks, tuple(h.shape[:2]) + self.max_shape), tf.float32)

    def _propagate(self, schedule, types, mask, adjacency, distance, in_channels, out_channels):
        mask, adjacency, distance = (tf.cast(x, self.compute_dtype) for x in (mask, adjacency, distance))
        handoff = tf.zeros([1, self.hidden], self.compute_dtype)
        embeddings = []
        for m, module_schedule in enumerate(schedule):
            module_mask = mask[m][:, None]
            h = self.type_embedding(types[m])
            for embedding, channels in zip(self.channel_embeddings, (in_channels[m], out_channels[m])):
                h += embedding(channels)
            h *= module_mask
            messages = self.message_mlp(h) * module_mask
            if self.virtual_edges:
                virtual = tf.where((distance[m] >= 2) & (distance[m] <= self.virtual_edges),
                                   1.0 / tf.maximum(distance[m], 1.0), 0.0)  # [u, v]: weight of u's message to v
                virtual_messages = self.virtual_mlp(h) * module_mask
            for v, direction in module_schedule:
                if direction == 0:
                    break
                neighbours = adjacency[m, :, v] if direction == FORWARD else adjacency[m, v, :]
                message = tf.linalg.matvec(messages, neighbours, transpose_a=True)[None]
                if self.virtual_edges:
                    weights = virtual[:, v] if direction == FORWARD else virtual[v, :]
                    message += tf.linalg.matvec(virtual_messages, weights, transpose_a=True)[None]
                if self.module_handoff and direction == FORWARD and v == 0:
                    message += handoff
                updated, _ = self.gru(message, [h[v][None]])
                h = tf.tensor_scatter_nd_update(h, [[v]], updated)
                messages = tf.tensor_scatter_nd_update(messages, [[v]], self.message_mlp(updated))
                if self.virtual_edges:
                    virtual_messages = tf.tensor_scatter_nd_update(virtual_messages, [[v]], self.virtual_mlp(updated))
            if self.layer_norm:
                h = self.embedding_norm(h) * module_mask
            handoff = tf.reduce_sum(h, axis=0, keepdims=True) / tf.reduce_sum(module_mask)
            embeddings.append(h)
        return tf.stack(embeddings)

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "message_hidden": self.message_hidden,
                "decoder_hidden": self.decoder_hidden, "sweeps": self.sweeps, "max_shape": list(self.max_shape),
                "module_handoff": self.module_handoff, "normalize": self.normalize, "layer_norm": self.layer_norm,
                "virtual_edges": self.virtual_edges, "shape_encoding": self.shape_encoding}


def _schedule_of(encoded):
    return tuple(tuple(zip(nodes.tolist(), directions.tolist())) for nodes, directions in
                 zip(np.asarray(encoded["schedule_nodes"]), np.asarray(encoded["schedule_directions"])))

