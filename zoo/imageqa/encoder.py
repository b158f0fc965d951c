"""The frozen image encoder standing in for the paper's VGG-19 fc7 features: a small CNN trained to classify
Fashion-MNIST articles tinted with the scenes' palette colours, then frozen and run over whole scenes; its last
feature map, average-pooled to a 4×4 grid (the grid keeps where things are, which questions ask about) and
flattened (with the first layer's map pooled the same way), is the image feature, z-normalised with
training-scene statistics as the paper did with fc7."""
import keras
import numpy as np
from keras import layers

from zoo.data import scenes as scenes_lib
from zoo.data.fashion_mnist import load_fashion_mnist

GRID = 4
FILTERS = (32, 64, 128)


@keras.saving.register_keras_serializable(package="zoo")
class GridAveragePool(layers.Layer):
    """Average-pools a feature map ``(N, H, W, C)`` to a ``grid × grid`` layout and flattens it to
    ``(N, grid · grid · C)``; H and W must be multiples of ``grid``.

    Args:
        grid: cells per side.
    """

    def __init__(self, grid=GRID, **kwargs):
        super().__init__(**kwargs)
        self.grid = grid

    def call(self, maps):
        shape = keras.ops.shape(maps)
        h, w, c = shape[1], shape[2], maps.shape[-1]
        cells = keras.ops.reshape(maps, (-1, self.grid, h // self.grid, self.grid, w // self.grid, c))
        return keras.ops.reshape(keras.ops.mean(cells, axis=(2, 4)), (-1, self.grid * self.grid * c))

    def get_config(self):
        return {**super().get_config(), "grid": self.grid}


def build_encoder(num_classes=10, filters=FILTERS, grid=GRID):
    """Fashion-MNIST classifier on tinted RGB articles (three 3×3 conv–ReLU layers, max-pooling after the first
    two, global average pool, softmax logits) with a second output, ``features``: the first and the last feature
    maps each pooled to a ``grid × grid`` layout, concatenated (the first layer keeps the colours that a classifier
    trained on randomly tinted articles learns to ignore; the last holds the shapes), and z-normalised by a
    ``Normalization`` layer set from training scenes (its statistics travel in the weights file). Outputs
    ``{"logits", "features"}``; the feature maps of a scene must divide into the grid (64×64 scenes do)."""
    inputs = keras.Input((None, None, 3), name="image")
    x = layers.Rescaling(1 / 255)(inputs)
    maps = []
    for i, width in enumerate(filters):
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        maps.append(x)
        if i < len(filters) - 1:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    logits = layers.Dense(num_classes, name="logits")(layers.GlobalAveragePooling2D()(x))
    pooled = layers.Concatenate(name="grid_pool")([GridAveragePool(grid, name="grid_pool_first")(maps[0]),
                                                   GridAveragePool(grid, name="grid_pool_last")(maps[-1])])
    features = layers.Normalization(name="z_normalise")(pooled)
    return keras.Model(inputs, {"logits": logits, "features": features}, name="imageqa_encoder")


def feature_size(num_classes=10, filters=FILTERS, grid=GRID):
    """The size of the image feature of :func:`build_encoder` built with these arguments."""
    del num_classes
    return grid * grid * (filters[0] + filters[-1])


def size_multiple(num_classes=10, filters=FILTERS, grid=GRID):
    """What the height and width of an image must be multiples of for :func:`build_encoder` built with these
    arguments: its last feature map (after one 2× max-pooling per layer but the last) must divide into the grid."""
    del num_classes
    return grid * 2 ** (len(filters) - 1)


def classifier(encoder):
    """The encoder's classification path alone (images → logits), sharing its layers."""
    return keras.Model(encoder.input, encoder.get_layer("logits").output)


def scene_features(encoder, images, batch_size=256):
    """Image features ``(N, 16 · C)`` of scenes ``(N, H, W, 3)`` uint8, in batches."""
    return _batched(keras.Model(encoder.input, encoder.get_layer("z_normalise").output), images, batch_size)


def set_feature_statistics(encoder, images):
    """Set the encoder's z-normalisation to the mean and variance of the pooled features of ``images``."""
    pooled = _batched(keras.Model(encoder.input, encoder.get_layer("grid_pool").output), images, 256)
    encoder.get_layer("z_normalise").adapt(pooled)


def _batched(model, images, batch_size):
    return np.concatenate([model(np.asarray(images[i:i + batch_size]), training=False).numpy()
                           for i in range(0, len(images), batch_size)])


def tinted_articles(split, seed, background=(0, 0, 0), source=None):
    """Fashion-MNIST ``split`` as RGB articles tinted with a random palette colour each, over ``background``
    (the scenes' compositing: background + intensity · (colour − background); None: a random scene background
    each); ``source``, optional ``(images (N, 28, 28), labels (N,))``, replaces the split (e.g. the embedded test
    slice). Returns ``(images, labels)``."""
    images, labels = load_fashion_mnist(split) if source is None else map(np.asarray, source)
    rng = np.random.default_rng(seed)
    palette = np.array([rgb for _, rgb in scenes_lib.PALETTE], np.float32)
    colours = palette[rng.integers(len(palette), size=len(images))]
    backgrounds = np.array([scenes_lib.BACKGROUNDS[b] for b in scenes_lib.BACKGROUNDS], np.float32)
    grounds = backgrounds[rng.integers(len(backgrounds), size=len(images))] if background is None \
        else np.broadcast_to(np.asarray(background, np.float32), (len(images), 3))
    alpha = images[..., None].astype(np.float32) / 255.0
    tinted = grounds[:, None, None] + alpha * (colours[:, None, None] - grounds[:, None, None])
    return np.round(tinted).astype(np.uint8), labels


def tinted_test_split(seed=0, source=None):
    """The tinted test articles (random backgrounds) :func:`train_encoder` with ``seed`` measures its accuracy on;
    ``source`` replaces the Fashion-MNIST test split as in :func:`tinted_articles`."""
    return tinted_articles("test", seed + 1, background=None, source=source)


def train_encoder(epochs=3, seed=0, batch_size=128, verbose=2):
    """Train :func:`build_encoder` on the tinted training split (random backgrounds); returns the model and its
    accuracy on the tinted test split."""
    keras.utils.set_random_seed(seed)
    encoder = build_encoder()
    model = classifier(encoder)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    x, y = tinted_articles("train", seed, background=None)
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
    x_test, y_test = tinted_test_split(seed)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    return encoder, float(accuracy)
