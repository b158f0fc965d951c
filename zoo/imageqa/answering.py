"""Ask shipped image-QA models questions in plain English about 64×64 scene images."""
import numpy as np

from zoo import registry, weights
from zoo.imageqa.data import Vocabulary


def ask(images, questions, weight="imageqa-full.fmnist_qa"):
    """Answer ``questions`` (one str per image) about ``images`` (uint8 ``(N, 64, 64, 3)``) with a shipped
    image-QA weight; its image encoder and vocabulary come from the weight's record. Returns one-word answers.
    Words the model never saw count as unknown; questions longer than the model's ``max_len`` are cut."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"images must be (N, H, W, 3) RGB scenes, got shape {images.shape}")
    if isinstance(questions, str) or len(questions) != len(images):
        raise ValueError(f"questions must be a list of {len(images)} strings (one per image), got {questions!r}")
    spec = weights.load_manifest()[weight]
    vocabulary = Vocabulary(spec.preprocessing["vocabulary"]["words"], spec.preprocessing["vocabulary"]["answers"])
    encoder = registry.load(spec.preprocessing["image_features"])
    model = registry.load(weight)
    ids = np.stack([vocabulary.encode(q.lower().rstrip(" ?"), spec.builder_kwargs["max_len"]) for q in questions])
    probabilities = model({"image": encoder(images)["features"].numpy(), "question": ids}).numpy()
    return [vocabulary.answers[i] for i in probabilities.argmax(axis=1)]
