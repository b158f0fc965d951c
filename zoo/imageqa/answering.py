"""Ask shipped image-QA models questions in plain English about 64×64 scene images."""
import numpy as np


def ask(images, questions, weight="imageqa-full.fmnist_qa"):
    """Answer ``questions`` (one str per image) about ``images`` (uint8 ``(N, 64, 64, 3)``) with a shipped
    image-QA weight, as its export serves them (:class:`zoo.imageqa.task.AnswerTask`): its image encoder and
    vocabulary come from the weight's record. Returns one-word answers. Questions are read as
    ``Vocabulary.encode(normalise_question(q))``: words the model never saw count as unknown; questions longer than
    the model's ``max_len`` are cut."""
    import tensorflow as tf

    from zoo import registry
    from zoo.imageqa.task import TASK, is_answer_model

    spec = registry.get_weight_spec(weight)
    if registry.get_model_spec(spec.name).family != TASK.family or not is_answer_model(spec):
        raise ValueError(f"weight must be an image-QA answer model (imageqa-*.TAG but not the encoder), got {weight!r}")
    _, shape = TASK.signature(spec).inputs["images"]
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1:] != shape[1:] or images.dtype != np.uint8:
        raise ValueError(f"images must be uint8 RGB scenes of shape (N, {', '.join(map(str, shape[1:]))}), got "
                         f"{images.dtype} of shape {images.shape}")
    if isinstance(questions, str) or len(questions) != len(images) or not all(isinstance(q, str) for q in questions):
        raise ValueError(f"questions must be a list of {len(images)} strings (one per image), got {questions!r}")
    serve = TASK.serving(registry.load(spec.name), spec).function
    answers = serve(images=tf.constant(images), questions=tf.constant(list(questions)))["answers"]
    return [a.decode() for a in answers.numpy()]
