"""DN recurrent cells in keras.layers.RNN against a numpy loop over the paper's Eqs. 6–11."""
import keras
import numpy as np
import pytest

from zoo.divnorm.rnn import DNLSTMCell, DNSimpleRNNCell
from zoo.testing import run_layer_test

RNG = np.random.default_rng(0)


def numpy_dn_1d(z, radius, sigma, epsilon=1e-6):
    """Eqs. 6–7: centre by the mean over units j−R..j+R and divide by sqrt(σ² + mean of v² there)."""
    units = z.shape[-1]
    windows = [slice(max(0, j - radius), j + radius + 1) if radius is not None else slice(None)
               for j in range(units)]
    mean = np.stack([z[:, w].mean(axis=1) for w in windows], axis=1)
    v = z - mean
    variance = np.stack([(v ** 2)[:, w].mean(axis=1) for w in windows], axis=1)
    return v / np.sqrt(variance + sigma ** 2 + epsilon)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def run_rnn(cell, x):
    layer = keras.layers.RNN(cell, return_sequences=True, dtype="float64")
    return layer, np.asarray(layer(x))


@pytest.mark.parametrize("radius", [None, 0, 2])
def test_simple_rnn_cell_matches_numpy(radius):
    x = RNG.standard_normal((3, 5, 4))
    cell = DNSimpleRNNCell(6, radius=radius, sigma=1.0, dtype="float64")
    _, outputs = run_rnn(cell, x)
    kernel, recurrent, bias = (np.asarray(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    hidden = np.zeros((3, 6))
    for t in range(5):
        hidden = np.tanh(numpy_dn_1d(x[:, t] @ kernel + hidden @ recurrent + bias, radius, 1.0))
        np.testing.assert_allclose(outputs[:, t], hidden, atol=1e-10)


@pytest.mark.parametrize("radius", [None, 1])
def test_lstm_cell_matches_numpy(radius):
    x = RNG.standard_normal((2, 4, 3))
    cell = DNLSTMCell(5, radius=radius, sigma=0.5, dtype="float64")
    _, outputs = run_rnn(cell, x)
    kernel, recurrent, bias = (np.asarray(w) for w in (cell.kernel, cell.recurrent_kernel, cell.bias))
    np.testing.assert_array_equal(np.asarray(cell.gate_beta), [[0] * 5, [1] * 5, [0] * 5, [0] * 5])  # forget bias
    hidden, state = np.zeros((2, 5)), np.zeros((2, 5))
    norm = lambda z: numpy_dn_1d(z, radius, 0.5)  # noqa: E731  (γ starts at 1; β at 0 except the forget gate's)
    for t in range(4):
        z_i, z_f, z_g, z_o = np.split(x[:, t] @ kernel + hidden @ recurrent + bias, 4, axis=-1)
        state = sigmoid(norm(z_f) + 1) * state + sigmoid(norm(z_i)) * np.tanh(norm(z_g))
        hidden = sigmoid(norm(z_o)) * np.tanh(norm(state))
        np.testing.assert_allclose(outputs[:, t], hidden, atol=1e-10)


@pytest.mark.parametrize("make_cell", [lambda: DNLSTMCell(6, radius=1), lambda: DNSimpleRNNCell(6, radius=2,
                                                                                                 activation="relu")])
def test_cells_round_trip_fit_and_export_inside_rnn(make_cell):
    cell = make_cell()
    assert type(cell).from_config(cell.get_config()).get_config() == cell.get_config()
    run_layer_test(lambda: keras.layers.RNN(make_cell()), (2, 5, 3), expected_output_shape=(2, 6), check_config=False)


@pytest.mark.parametrize("kwargs,message", [
    (dict(units=0), "units must be a positive int"),
    (dict(units=4, radius=-1), "radius must be None"),
    (dict(units=4, radius=1.5), "radius must be None"),
    (dict(units=4, sigma=-0.1), "sigma must be a number >= 0"),
])
def test_bad_arguments_raise_clear_errors(kwargs, message):
    for cell in (DNLSTMCell, DNSimpleRNNCell):
        with pytest.raises(ValueError, match=message):
            cell(**kwargs)
