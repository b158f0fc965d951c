"""What ``zoo.load`` does beyond loading weights: a new classifier head over a pretrained backbone, the backbone's
pooled features without the head, and the weight's preprocessing inside the model.

Classifiers name their head layer ``logits`` (a Dense layer on the pooled features); models that are not
functional classifiers offer ``feature_extractor()`` (the few-shot classifier's embedding network).
"""
import keras

from zoo.data.preprocessing import RawImagePreprocessing

HEAD = "logits"
"""The name of every classifier's head layer."""


def _head(model, architecture, purpose):
    if isinstance(model, keras.Model) and getattr(model, "inputs", None):  # a functional model
        try:
            return model.get_layer(HEAD)
        except ValueError:
            pass
    raise ValueError(f"{architecture} has no classifier head (a layer named {HEAD!r}) to {purpose}")


def with_new_head(pretrained, build_new, architecture):
    """The model ``build_new()`` builds (a new number of classes), holding every weight of ``pretrained`` but its
    head's, bit for bit; the head keeps its fresh initial values."""
    head = _head(pretrained, architecture, "replace with num_classes")
    model = build_new()
    for layer in pretrained.layers:
        if layer.name != head.name and layer.weights:
            model.get_layer(layer.name).set_weights(layer.get_weights())
    return model


def features_model(model, architecture):
    """``model`` without its head: the pooled features the head reads (``include_top=False``)."""
    if hasattr(model, "feature_extractor"):
        return model.feature_extractor()
    head = _head(model, architecture, "remove with include_top=False")
    return keras.Model(model.inputs, head.input, name=f"{model.name}_features")


def with_preprocessing(model, weight):
    """``model`` behind the weight's preprocessing: a functional model taking raw stored images."""
    record = weight.preprocessing
    if not {"scale", "mean", "std", "input_shape"} <= set(record):
        raise ValueError(f"{weight.name} takes raw inputs already (its record has no image preprocessing to add); "
                         "use it without include_preprocessing")
    inputs = keras.Input(tuple(record["input_shape"]), dtype=record.get("input_dtype", "uint8"), name="raw_images")
    return keras.Model(inputs, model(RawImagePreprocessing(record, name="preprocessing")(inputs)),
                       name=f"{model.name}_with_preprocessing")
