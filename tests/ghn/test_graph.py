"""The search space's graphs: validation, random cells, stacking, topological order and the sweep schedule."""
import numpy as np
import pytest
from scipy.sparse import csgraph

from zoo.ghn import graph as G


def hand_cell():
    # 0 -> 1 (sep3), 0 -> 2 (max pool), {1, 2} -> 3 (identity), output sums the leaf 3
    return G.Cell(["cell_input", "sep_conv_3x3", "max_pool_3x3", "identity", "cell_output"],
                  [[], [0], [0], [1, 2], [3]])


def test_topological_order_of_hand_built_dags():
    assert G.topological_order(4, [(0, 1), (0, 2), (1, 3), (2, 3)]) == [0, 1, 2, 3]
    assert G.topological_order(4, [(3, 2), (2, 0), (3, 1), (1, 0)]) == [3, 1, 2, 0]
    assert G.topological_order(3, []) == [0, 1, 2]
    with pytest.raises(ValueError, match="cycle"):
        G.topological_order(3, [(0, 1), (1, 2), (2, 0)])
    with pytest.raises(ValueError, match="edge"):
        G.topological_order(2, [(0, 2)])


def test_sweep_schedule_is_forward_then_backward_without_repeating_the_last_node():
    schedule = G.sweep_schedule(4, [(3, 2), (2, 0), (3, 1), (1, 0)], sweeps=2)
    one = [(3, 1), (1, 1), (2, 1), (0, 1), (2, -1), (1, -1), (3, -1)]
    assert schedule == one + one
    assert len(G.sweep_schedule(17, [(i, i + 1) for i in range(16)], 1)) == 2 * 17 - 1
    with pytest.raises(ValueError, match="sweeps"):
        G.sweep_schedule(3, [], 0)


@pytest.mark.parametrize("seed", range(4))
def test_shortest_path_lengths_match_scipy(seed):
    cell = G.sample_cell(12, np.random.default_rng(seed))
    adjacency = np.zeros((cell.num_nodes, cell.num_nodes))
    for u, v in cell.edges():
        adjacency[u, v] = 1
    expected = csgraph.shortest_path(adjacency, directed=True, unweighted=True)
    expected[np.isinf(expected)] = 0
    np.testing.assert_array_equal(G.shortest_path_lengths(cell.num_nodes, cell.edges()), expected)
    with pytest.raises(ValueError, match="edge"):
        G.shortest_path_lengths(2, [(0, 2)])


def test_cell_validation_names_the_problem():
    with pytest.raises(ValueError, match="node 0"):
        G.Cell(["sep_conv_3x3", "identity", "cell_output"], [[], [0], [1]])
    with pytest.raises(ValueError, match="earlier nodes"):
        G.Cell(["cell_input", "identity", "cell_output"], [[], [1], [1]])
    with pytest.raises(ValueError, match="operation must be one of"):
        G.Cell(["cell_input", "conv_7x7", "cell_output"], [[], [0], [1]])
    with pytest.raises(ValueError, match="feed nothing"):
        G.Cell(["cell_input", "identity", "identity", "cell_output"], [[], [0], [0], [2]])
    with pytest.raises(ValueError, match="num_nodes"):
        G.sample_cell(2, np.random.default_rng(0))


@pytest.mark.parametrize("num_nodes", [3, 7, 17])
def test_random_cells_are_valid_and_deterministic(num_nodes):
    for seed in range(20):
        cell = G.sample_cell(num_nodes, np.random.default_rng(seed))
        assert cell.num_nodes == num_nodes and cell == G.sample_cell(num_nodes, np.random.default_rng(seed))
        assert all(1 <= len(ins) <= 2 for ins in cell.inputs[1:-1])
        assert G.topological_order(num_nodes, cell.edges()) == list(range(num_nodes))
        leaves = {i for i in range(1, num_nodes - 1)} - {u for ins in cell.inputs[:-1] for u in ins}
        assert set(cell.inputs[-1]) == leaves


def test_random_cells_cover_every_operation():
    rng = np.random.default_rng(0)
    ops = {op for _ in range(50) for op in G.sample_cell(17, rng).ops[1:-1]}
    assert ops == set(G.OPS)


def test_network_modules_and_parameter_shapes():
    net = G.NetworkGraph(hand_cell(), stages=(1, 2), channels=4, num_classes=10)
    modules = net.modules()
    assert [m.types[0] for m in modules] == ["image", "cell_input", "cell_input_reduce", "cell_input",
                                            "global_pool"]
    shapes = net.parameter_shapes()
    assert shapes == {
        "m0/n1/kernel": (3, 3, 1, 4),
        "m1/n0/kernel": (1, 1, 4, 4), "m1/n1/depthwise": (3, 3, 4, 1), "m1/n1/pointwise": (1, 1, 4, 4),
        "m2/n0/kernel": (3, 3, 4, 8), "m2/n1/depthwise": (3, 3, 8, 1), "m2/n1/pointwise": (1, 1, 8, 8),
        "m3/n0/kernel": (1, 1, 8, 8), "m3/n1/depthwise": (3, 3, 8, 1), "m3/n1/pointwise": (1, 1, 8, 8),
        "m4/n1/kernel": (8, 10)}


def test_network_dict_round_trip():
    net = G.random_network(17, np.random.default_rng(3), stages=(2, 1), channels=6)
    assert G.NetworkGraph.from_dict(net.to_dict()) == net
    with pytest.raises(ValueError, match="stages"):
        G.NetworkGraph(hand_cell(), stages=())


def test_cell_structure_counts_live_nodes_on_a_hand_built_cell():
    # node 2 is zero, so the max pool fed only by it is dead; node 5 is a live average pool.
    ops = ["cell_input", "sep_conv_3x3", "zero", "max_pool_3x3", "identity", "avg_pool_3x3", "cell_output"]
    inputs = [[], [0], [0], [2], [1, 3], [1], [4, 5]]
    expected = {"output_inputs": 2, "live_output_inputs": 2, "live_convolutions": 1, "live_pooling": 1, "depth": 2}
    assert G.cell_structure(G.Cell(ops, inputs)) == expected
    ops[5] = "zero"  # one summed output input is now dead
    expected.update(live_output_inputs=1, live_pooling=0)
    assert G.cell_structure(G.Cell(ops, inputs)) == expected
