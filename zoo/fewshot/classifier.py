"""The paper's few-shot classifier: a Conv-4 embedding with prototypical-network inference, optionally refined
with unlabeled examples (soft k-means, + distractor cluster, masked soft k-means)."""
import math

import keras
import tensorflow as tf
from keras import layers

from zoo.fewshot import refinement

REFINEMENTS = ("none", "soft_kmeans", "soft_kmeans_cluster", "masked_soft_kmeans")


def conv4(input_shape=(28, 28, 1), filters=64, name="conv4"):
    """The few-shot Conv-4 embedding: 4 × (3×3 conv with ``filters``, BN, ReLU, 2×2 max-pool), flattened."""
    inputs = keras.Input(tuple(input_shape), name="images")
    x = inputs
    for i in range(1, 5):
        x = layers.Conv2D(filters, 3, padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    return keras.Model(inputs, layers.Flatten(name="embedding")(x), name=name)


@keras.saving.register_keras_serializable(package="zoo")
class FewShotClassifier(keras.Model):
    """Classifies an episode's queries by distance to (refined) class prototypes of an embedding network.

    Call with an episode dict: ``support`` ``(N·K, H, W, C)``, ``support_labels`` ``(N·K,)`` in ``0..N−1``,
    ``query`` ``(Q, H, W, C)`` and, for the refinements, ``unlabeled`` ``(U, H, W, C)``. Returns query logits
    ``(Q, N)`` (``(Q, N + 1)`` for ``soft_kmeans_cluster``, whose last column is the distractor cluster, as in
    the official code). Images are uint8 or floats in [0, 255].

    Args:
        refinement: ``"none"`` (Prototypical Network), ``"soft_kmeans"``, ``"soft_kmeans_cluster"`` (with a
            distractor cluster whose radius is learned) or ``"masked_soft_kmeans"``.
        input_shape: image shape.
        filters: Conv-4 width (paper: 64).
        distractor_radius: initial radius of the distractor cluster (official default 100), learned in log space.
        mask_hidden: hidden units of the masked model's MLP (official: 20, tanh).

    Reference: Ren, Triantafillou, Ravi, Snell, Swersky, Tenenbaum, Larochelle, Zemel. Meta-Learning for
    Semi-Supervised Few-Shot Classification. ICLR 2018, arXiv:1803.00676.
    """

    def __init__(self, refinement="none", input_shape=(28, 28, 1), filters=64, distractor_radius=100.0,
                 mask_hidden=20, **kwargs):
        super().__init__(**kwargs)
        if refinement not in REFINEMENTS:
            raise ValueError(f"refinement must be one of {REFINEMENTS}, got {refinement!r}")
        if distractor_radius <= 0:
            raise ValueError(f"distractor_radius must be positive, got {distractor_radius!r}")
        self.refinement = refinement
        self.image_shape = tuple(input_shape)
        self.filters = filters
        self.distractor_radius = distractor_radius
        self.mask_hidden = mask_hidden
        self.embedding = conv4(self.image_shape, filters)
        self.log_radius = None
        self.mask_mlp = None
        if refinement == "soft_kmeans_cluster":
            self.log_radius = self.add_weight(shape=(), name="distractor_log_radius",
                                              initializer=keras.initializers.Constant(math.log(distractor_radius)))
        if refinement == "masked_soft_kmeans":
            self.mask_mlp = keras.Sequential([layers.Dense(mask_hidden, activation="tanh", name="hidden"),
                                              layers.Dense(2, name="beta_gamma"),
                                              layers.Activation(tf.exp, name="positive")], name="mask_mlp")
            self.mask_mlp.build((None, 5))
        self.built = True  # every weight exists now: an episode dict has no single input shape to build from

    def build(self, input_shape):
        """Nothing to create (every weight exists from the constructor); ``model.build(episode_shapes)`` records the
        episode's shapes ``{"support": (None, H, W, C), ...}``, which ``model.export`` takes as its signature."""
        del input_shape

    def episode_shapes(self):
        """``{key: shape}`` of an episode of any size for this model (``unlabeled`` only for the refinements)."""
        image = (None, *self.image_shape)
        shapes = {"support": image, "support_labels": (None,), "query": image}
        return {**shapes, "unlabeled": image} if self.refinement != "none" else shapes

    def feature_extractor(self):
        """The Conv-4 embedding as a functional model sharing this model's weights (what
        ``zoo.load(name, include_top=False)`` returns): images ``(N, H, W, C)`` in [0, 255], as this model takes
        them, to embeddings ``(N, D)`` (the flattened last feature map, D = 64 on 28×28 images)."""
        inputs = keras.Input(self.image_shape, name="images")
        scaled = layers.Rescaling(1 / 255.0, name="scale")(inputs)
        return keras.Model(inputs, self.embedding(scaled), name=f"{self.name}_features")

    def embed(self, images, training=None):
        """Embeddings ``(len(images), D)`` of images in [0, 255]."""
        return self.embedding(tf.cast(images, self.compute_dtype) / 255.0, training=training)

    def call(self, episode, training=None):
        support_labels = tf.cast(episode["support_labels"], tf.int32)
        onehot = tf.one_hot(support_labels, tf.reduce_max(support_labels) + 1, dtype=self.compute_dtype)
        images = [episode["support"], episode["query"]]
        if self.refinement != "none":
            images.append(episode["unlabeled"])
        # One batch through the embedding, so batch norm sees the whole episode.
        sizes = [tf.shape(x)[0] for x in images]
        embedded = tf.split(self.embed(tf.concat(images, axis=0), training=training), sizes)
        support, query = embedded[0], embedded[1]
        if self.refinement == "none":
            return -refinement.squared_distances(query, refinement.prototypes(support, onehot))
        unlabeled = embedded[2]
        if self.refinement == "soft_kmeans":
            centres, _ = refinement.soft_kmeans(support, onehot, unlabeled)
        elif self.refinement == "masked_soft_kmeans":
            centres, _ = refinement.masked_soft_kmeans(support, onehot, unlabeled, self.mask_mlp)
        else:
            centres, radii, _ = refinement.soft_kmeans_with_distractor(support, onehot, unlabeled,
                                                                       tf.exp(self.log_radius))
            return refinement.cluster_logits(query, centres, radii)
        return -refinement.squared_distances(query, centres)

    def get_config(self):
        return {**super().get_config(), "refinement": self.refinement, "input_shape": self.image_shape,
                "filters": self.filters, "distractor_radius": self.distractor_radius,
                "mask_hidden": self.mask_hidden}
