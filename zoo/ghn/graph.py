"""Architectures as graphs of operations: the cell search space, random cells, stacking into networks.

A **cell** is a DAG of ``num_nodes`` nodes in topological order: node 0 is the cell's input (a ReLU-conv-BN that
adapts the previous cell's output), nodes ``1 … num_nodes − 2`` each apply one operation from :data:`OPS` to each
of their one or two inputs and sum the results (the paper's Eq. 7: a node's output is the sum over its incoming
edges of its operator applied to each), and the last node sums every intermediate node that feeds no other node.

A **network** stacks one cell genotype over ``len(stages)`` stages; the first cell of every stage after the first
halves the spatial size and doubles the channels with a strided 3×3 input convolution. A stem convolution comes
first and global average pooling + a linear classifier last. For the graph hypernetwork the network is a chain of
**modules** (stem, each cell, head), each a small DAG whose node 0 receives the previous module's output — the
stacked-cell layout of the paper's Eqs. 12–14.

The paper's 8 operations are listed only in its appendix, which we did not have; :data:`OPS` is our choice, the
DARTS-style set the issue names: separable and dilated 3×3 / 5×5 convolutions, 3×3 max / average pooling, identity
and zero.
"""
import dataclasses
import json

import numpy as np

OPS = ("sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3", "dil_conv_5x5",
       "max_pool_3x3", "avg_pool_3x3", "identity", "zero")
"""The operations a cell's intermediate nodes are sampled from."""

STRUCTURAL_TYPES = ("cell_input", "cell_input_reduce", "cell_output", "image", "stem_conv", "global_pool",
                    "classifier")
"""Node types that are not sampled: cell input (ReLU-conv 1×1-BN, or a strided ReLU-conv 3×3-BN doubling the
channels in a reduction cell), cell output (sum), the image, the stem (conv 3×3-BN), pooling and the classifier."""

NODE_TYPES = OPS + STRUCTURAL_TYPES
"""Every node type; the GHN embeds a node by its index in this tuple."""

CELL_OUTPUT_NORMS = ("none", "batch_norm")
"""How a cell's output node combines its leaves: their plain sum (the paper), or the sum followed by batch
normalization without affine parameters, which makes the classifier's input independent of the leaf count."""

FORWARD, BACKWARD = 1, -1


@dataclasses.dataclass(frozen=True)
class Cell:
    """One cell genotype: ``ops[i]`` and ``inputs[i]`` (earlier node indices) of every node, in topological order.

    ``ops[0]`` is ``"cell_input"`` with no inputs and ``ops[-1]`` is ``"cell_output"`` whose inputs are the
    intermediate nodes that feed no other node.
    """

    ops: tuple
    inputs: tuple

    def __post_init__(self):
        object.__setattr__(self, "ops", tuple(self.ops))
        object.__setattr__(self, "inputs", tuple(tuple(int(u) for u in ins) for ins in self.inputs))
        n = len(self.ops)
        if n < 3:
            raise ValueError(f"a cell needs at least 3 nodes (input, one operation, output), got {n}")
        if len(self.inputs) != n:
            raise ValueError(f"ops and inputs must have one entry per node, got {n} ops and {len(self.inputs)} inputs")
        if self.ops[0] != "cell_input" or self.inputs[0]:
            raise ValueError("node 0 must be the 'cell_input' node with no inputs")
        if self.ops[-1] != "cell_output":
            raise ValueError(f"the last node must be 'cell_output', got {self.ops[-1]!r}")
        for i in range(1, n):
            if i < n - 1 and self.ops[i] not in OPS:
                raise ValueError(f"node {i}: operation must be one of {OPS}, got {self.ops[i]!r}")
            if not self.inputs[i] or len(set(self.inputs[i])) != len(self.inputs[i]):
                raise ValueError(f"node {i}: needs one or more distinct inputs, got {self.inputs[i]}")
            if any(not 0 <= u < i for u in self.inputs[i]):
                raise ValueError(f"node {i}: inputs must be earlier nodes 0..{i - 1}, got {self.inputs[i]}")
        used = {u for ins in self.inputs for u in ins}
        if set(range(n - 1)) - used:
            raise ValueError(f"nodes {sorted(set(range(n - 1)) - used)} feed nothing: every node but the output "
                             "must be an input of a later node")

    @property
    def num_nodes(self):
        """Nodes including the input and output nodes."""
        return len(self.ops)

    def edges(self):
        """``(u, v)`` pairs, one per edge."""
        return [(u, v) for v, ins in enumerate(self.inputs) for u in ins]


def sample_cell(num_nodes, rng):
    """A random cell of ``num_nodes`` nodes (input and output included).

    Every intermediate node gets an operation uniformly from :data:`OPS` and one input (or, from the third node on,
    two distinct inputs with probability ½) uniformly among the earlier nodes; the output node sums the
    intermediate nodes that feed nothing else.

    Args:
        num_nodes: at least 3.
        rng: a ``numpy.random.Generator``.
    """
    if int(num_nodes) != num_nodes or num_nodes < 3:
        raise ValueError(f"num_nodes must be an integer >= 3, got {num_nodes!r}")
    num_nodes = int(num_nodes)
    ops, inputs = ["cell_input"], [()]
    for i in range(1, num_nodes - 1):
        degree = 2 if i >= 2 and rng.random() < 0.5 else 1
        ops.append(OPS[rng.integers(len(OPS))])
        inputs.append(tuple(sorted(int(u) for u in rng.choice(i, size=degree, replace=False))))
    used = {u for ins in inputs for u in ins}
    inputs.append(tuple(i for i in range(1, num_nodes - 1) if i not in used))
    ops.append("cell_output")
    return Cell(ops, inputs)


def cell_structure(cell):
    """Counts that describe a cell's shape, for diagnosing what a ranking responds to.

    A node is *live* when a path of non-``zero`` operations connects it to the cell input (a ``zero`` node, or one
    fed only by dead nodes, adds nothing to the output). Returns a dict: ``output_inputs`` (intermediate nodes the
    output sums), ``live_output_inputs`` (those that are live), ``live_convolutions`` and ``live_pooling`` (live
    nodes with a convolution / pooling operation) and ``depth`` (operations on the longest live path to the output).
    """
    live, depth = [True], [0]
    for op, inputs in zip(cell.ops[1:], cell.inputs[1:]):
        sources = [u for u in inputs if live[u]]
        live.append(bool(sources) and op != "zero")
        depth.append(max(depth[u] for u in sources) + 1 if live[-1] else 0)
    output = cell.num_nodes - 1
    intermediate = range(1, output)
    return {"output_inputs": len(cell.inputs[output]),
            "live_output_inputs": sum(live[u] for u in cell.inputs[output]),
            "live_convolutions": sum(live[v] and "conv" in cell.ops[v] for v in intermediate),
            "live_pooling": sum(live[v] and "pool" in cell.ops[v] for v in intermediate),
            "depth": max((depth[u] for u in cell.inputs[output]), default=0)}


@dataclasses.dataclass(frozen=True)
class Module:
    """One unit of the stacked graph: node types and edges; node 0 receives the previous module's output."""

    types: tuple
    edges: tuple

    @property
    def num_nodes(self):
        return len(self.types)


@dataclasses.dataclass(frozen=True)
class NetworkGraph:
    """A network: ``cell`` repeated ``stages[s]`` times in stage ``s``, ``channels · 2**s`` channels per stage.

    Args:
        cell: the genotype every cell uses.
        stages: cells per stage; the first cell of every stage after the first reduces (stride 2, 2× channels).
        channels: channels of the stem and the first stage.
        num_classes: classifier outputs.
        image_channels: channels of the input images.
        cell_output_norm: one of :data:`CELL_OUTPUT_NORMS`.
    """

    cell: Cell
    stages: tuple = (1, 1, 1)
    channels: int = 16
    num_classes: int = 10
    image_channels: int = 1
    cell_output_norm: str = "none"

    def __post_init__(self):
        object.__setattr__(self, "stages", tuple(int(s) for s in self.stages))
        if not self.stages or any(s < 1 for s in self.stages):
            raise ValueError(f"stages must be a non-empty sequence of positive cell counts, got {self.stages}")
        for name in ("channels", "num_classes", "image_channels"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.cell_output_norm not in CELL_OUTPUT_NORMS:
            raise ValueError(f"cell_output_norm must be one of {CELL_OUTPUT_NORMS}, got {self.cell_output_norm!r}")

    def cell_layout(self):
        """``(channels, reduces)`` of every cell, in order."""
        return [(self.channels * 2 ** s, s > 0 and i == 0) for s, count in enumerate(self.stages)
                for i in range(count)]

    def modules(self):
        """The stacked modules: stem, every cell (its input node typed by whether it reduces), head."""
        stem = Module(("image", "stem_conv"), ((0, 1),))
        cell_edges = tuple(self.cell.edges())
        cells = [Module(("cell_input_reduce" if reduces else "cell_input",) + self.cell.ops[1:], cell_edges)
                 for _, reduces in self.cell_layout()]
        head = Module(("global_pool", "classifier"), ((0, 1),))
        return [stem] + cells + [head]

    def parameter_shapes(self):
        """``{name: shape}`` of every parameter tensor, in module and node order.

        Names are ``m{module}/n{node}/{kind}`` with kind ``kernel`` (full convolution or classifier),
        ``depthwise`` or ``pointwise``.
        """
        modules, channels = self.modules(), self.node_channels()
        shapes = {"m0/n1/kernel": (3, 3) + channels[0][1]}
        for m in range(1, len(modules) - 1):
            for v, (op, (c_in, c_out)) in enumerate(zip(modules[m].types, channels[m])):
                shapes.update({f"m{m}/n{v}/{kind}": shape
                               for kind, shape in node_parameter_shapes(op, c_in, c_out).items()})
        shapes[f"m{len(modules) - 1}/n1/kernel"] = channels[-1][1]
        return shapes

    def node_channels(self):
        """``(in_channels, out_channels)`` of every node, per module in :meth:`modules` order."""
        stem = [(self.image_channels, self.image_channels), (self.image_channels, self.channels)]
        nodes, previous = [stem], self.channels
        for width, _ in self.cell_layout():
            nodes.append([(previous, width)] + [(width, width)] * (self.cell.num_nodes - 1))
            previous = width
        nodes.append([(previous, previous), (previous, self.num_classes)])
        return nodes

    def to_dict(self):
        """A JSON-ready description (``from_dict`` inverts it); ``cell_output_norm`` appears only when it is not
        ``"none"``, so descriptions written before the option existed still describe the same graph."""
        description = {"cell": {"ops": list(self.cell.ops), "inputs": [list(i) for i in self.cell.inputs]},
                       "stages": list(self.stages), "channels": self.channels, "num_classes": self.num_classes,
                       "image_channels": self.image_channels}
        if self.cell_output_norm != "none":
            description["cell_output_norm"] = self.cell_output_norm
        return description

    @classmethod
    def from_dict(cls, config):
        """The graph ``to_dict`` described; ``ValueError`` naming the field when ``config`` is not such a description
        (:func:`check_description`)."""
        check_description(config)
        config = dict(config)
        cell = config.pop("cell")
        return cls(cell=Cell(cell["ops"], cell["inputs"]), **config)

    def to_json(self):
        return json.dumps(self.to_dict(), sort_keys=True)


DESCRIPTION_KEYS = ("cell", "stages", "channels", "num_classes", "image_channels")
"""The keys every :meth:`NetworkGraph.to_dict` description has (``cell_output_norm`` is optional)."""


def check_description(config):
    """Raise ``ValueError`` with a one-line message naming the field (``cell.ops[3]``, ``cell.inputs[4]``,
    ``channels``, ...) unless ``config`` is a valid :meth:`NetworkGraph.to_dict` description: the right keys, the
    right types, known operations, inputs that are distinct earlier nodes, every node but the output feeding a later
    one, positive sizes."""
    _check_keys(config, "the architecture", DESCRIPTION_KEYS, ("cell_output_norm",))
    cell = config["cell"]
    _check_keys(cell, "cell", ("ops", "inputs"), ())
    ops, inputs = cell["ops"], cell["inputs"]
    _check_list(ops, "cell.ops", "a list of operation names")
    if len(ops) < 3:
        raise ValueError(f"cell.ops: a cell needs at least 3 nodes (cell_input, an operation, cell_output), got "
                         f"{len(ops)}")
    for i, op in enumerate(ops):
        if not isinstance(op, str):
            raise ValueError(f"cell.ops[{i}]: must be an operation name (a string), got {op!r}")
    if ops[0] != "cell_input":
        raise ValueError(f"cell.ops[0]: the first node must be 'cell_input', got {ops[0]!r}")
    if ops[-1] != "cell_output":
        raise ValueError(f"cell.ops[{len(ops) - 1}]: the last node must be 'cell_output', got {ops[-1]!r}")
    for i, op in enumerate(ops[1:-1], start=1):
        if op not in OPS:
            raise ValueError(f"cell.ops[{i}]: unknown operation {op!r}; the operations are {', '.join(OPS)}")
    _check_list(inputs, "cell.inputs", "a list of input lists, one per node")
    if len(inputs) != len(ops):
        raise ValueError(f"cell.inputs: must hold one input list per node of cell.ops ({len(ops)}), got "
                         f"{len(inputs)}")
    for i, node_inputs in enumerate(inputs):
        _check_node_inputs(node_inputs, i, ops[i])
    fed = {u for node_inputs in inputs for u in node_inputs}
    for v in range(len(ops) - 1):
        if v not in fed:
            raise ValueError(f"cell.inputs: node {v} ({ops[v]}) feeds no other node; every node but cell_output must "
                             f"be an input of a later node (e.g. list it in cell.inputs[{len(ops) - 1}], the output's)")
    stages = config["stages"]
    if not isinstance(stages, (list, tuple)) or not stages or not all(_is_int(s) and s >= 1 for s in stages):
        raise ValueError(f"stages: must be a non-empty list of positive cell counts, got {stages!r}")
    for key in ("channels", "num_classes", "image_channels"):
        if not _is_int(config[key]) or config[key] < 1:
            raise ValueError(f"{key}: must be a positive integer, got {config[key]!r}")
    norm = config.get("cell_output_norm", "none")
    if norm not in CELL_OUTPUT_NORMS:
        raise ValueError(f"cell_output_norm: must be one of {', '.join(CELL_OUTPUT_NORMS)}, got {norm!r}")


def _check_keys(config, what, required, optional):
    if not isinstance(config, dict):
        raise ValueError(f"{what}: must be an object with keys {', '.join(required)}, got {_type_name(config)}")
    for key in required:
        if key not in config:
            raise ValueError(f"{what}: missing key {key!r} (keys: {', '.join(required + optional)})")
    for key in config:
        if key not in required + optional:
            raise ValueError(f"{what}: unknown key {key!r} (keys: {', '.join(required + optional)})")


def _check_list(value, field, what):
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{field}: must be {what}, got {_type_name(value)}")


def _check_node_inputs(node_inputs, i, op):
    field = f"cell.inputs[{i}]"
    _check_list(node_inputs, field, "a list of node indices")
    for j, u in enumerate(node_inputs):
        if not _is_int(u):
            raise ValueError(f"{field}[{j}]: must be a node index (an integer), got {u!r}")
    if i == 0:
        if node_inputs:
            raise ValueError(f"{field}: the cell_input node takes no inputs, got {list(node_inputs)}")
        return
    if not node_inputs:
        raise ValueError(f"{field}: node {i} ({op}) needs at least one input")
    for u in node_inputs:
        if not 0 <= u < i:
            raise ValueError(f"{field}: input {u} is not an earlier node (0..{i - 1}); cells are listed in "
                             "topological order")
    if len(set(node_inputs)) != len(node_inputs):
        raise ValueError(f"{field}: node {i} lists an input more than once: {list(node_inputs)}")


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _type_name(value):
    names = {dict: "an object", list: "a list", tuple: "a list", str: "a string", bool: "a boolean",
             type(None): "null", int: "an integer", float: "a number"}
    return f"{names.get(type(value), type(value).__name__)} {json.dumps(value) if _jsonable(value) else ''}".strip()


def _jsonable(value):
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        return False
    return len(text) <= 60


def node_parameter_shapes(node_type, in_channels, channels):
    """Parameter shapes of a cell node: ``{kind: shape}`` (empty for parameter-free nodes)."""
    if node_type == "cell_input":
        return {"kernel": (1, 1, in_channels, channels)}
    if node_type == "cell_input_reduce":
        return {"kernel": (3, 3, in_channels, channels)}
    if node_type.startswith(("sep_conv", "dil_conv")):
        k = int(node_type[-1])
        return {"depthwise": (k, k, channels, 1), "pointwise": (1, 1, channels, channels)}
    return {}


def random_network(num_nodes, rng, **network_kwargs):
    """A :class:`NetworkGraph` over a random cell of ``num_nodes`` nodes."""
    return NetworkGraph(sample_cell(num_nodes, rng), **network_kwargs)


def topological_order(num_nodes, edges):
    """Kahn's order of a DAG (ties broken by the smaller index); ``ValueError`` on a cycle or a bad edge."""
    successors = [[] for _ in range(num_nodes)]
    indegree = np.zeros(num_nodes, int)
    for u, v in edges:
        if not (0 <= u < num_nodes and 0 <= v < num_nodes) or u == v:
            raise ValueError(f"edge {(u, v)} is not between two distinct nodes of 0..{num_nodes - 1}")
        successors[u].append(v)
        indegree[v] += 1
    ready = sorted(v for v in range(num_nodes) if indegree[v] == 0)
    order = []
    while ready:
        u = ready.pop(0)
        order.append(u)
        for v in successors[u]:
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
        ready.sort()
    if len(order) != num_nodes:
        raise ValueError(f"the graph has a cycle through nodes {sorted(set(range(num_nodes)) - set(order))}")
    return order


def shortest_path_lengths(num_nodes, edges):
    """``(num_nodes, num_nodes)`` int array: ``[u, v]`` is the number of edges on the shortest directed path u → v,
    0 where v is not reachable from u (and on the diagonal)."""
    successors = [[] for _ in range(num_nodes)]
    for u, v in edges:
        if not (0 <= u < num_nodes and 0 <= v < num_nodes):
            raise ValueError(f"edge {(u, v)} is not between nodes of 0..{num_nodes - 1}")
        successors[u].append(v)
    lengths = np.zeros((num_nodes, num_nodes), int)
    for source in range(num_nodes):
        frontier, reached, distance = {source}, {source}, 0
        while frontier:  # breadth-first: every node first reached at this depth is this many edges away
            distance += 1
            frontier = {v for u in frontier for v in successors[u]} - reached
            reached |= frontier
            lengths[source, sorted(frontier)] = distance
    return lengths


def sweep_schedule(num_nodes, edges, sweeps):
    """The asynchronous forward–backward propagation schedule (the paper's Eq. 15) as ``(node, direction)`` pairs.

    One sweep updates every node in topological order, receiving messages from its predecessors, then every node
    but the last in reverse order, receiving messages from its successors: ``2·|V| − 1`` updates. ``sweeps``
    sweeps follow each other.
    """
    if sweeps < 1:
        raise ValueError(f"sweeps must be >= 1, got {sweeps}")
    order = topological_order(num_nodes, edges)
    one = [(v, FORWARD) for v in order] + [(v, BACKWARD) for v in reversed(order[:-1])]
    return one * sweeps
