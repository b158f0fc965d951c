"""Training and evaluation of the recurrent attention segmenter on Fashion-MNIST scenes: data, the paper's loss
(matched soft IoU of segments and of boxes, monotone score loss), the two-phase curriculum with scheduled
sampling, inference with the stop score, and the metrics over a test set."""
import dataclasses
import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from zoo.data import scenes as scenes_lib
from zoo.progress import progress_bar
from zoo.recattend import losses, metrics
from zoo.training import distributed

SCENES = scenes_lib.SceneConfig(height=64, width=64, min_objects=1, max_objects=4, min_scale=0.8, max_scale=1.4)
"""The scenes of the experiments here: 64×64, one to four articles (the paper: CVPPP leaves at 224×224)."""


def scene_arrays(count, split, seed, config=SCENES):
    """``count`` scenes as padded arrays (:func:`zoo.data.scenes.scenes_to_arrays`) plus ``box_masks``: every
    true box padded by 0.2 of its size per side and rasterised, the box network's targets."""
    arrays = scenes_lib.scenes_to_arrays(scenes_lib.make_scenes(count, split, seed, config), config.max_objects)
    arrays["box_masks"] = padded_box_masks(arrays["boxes"], (config.height, config.width))
    return arrays


def coco_arrays(split, category="zebra", size=224, max_instances=10, limit=0, data_dir=None, download=False):
    """The images of MS-COCO's ``split`` (``"train"`` or ``"validation"``) that hold instances of ``category``
    (:func:`zoo.recattend.sources.coco_instances`: at most ``max_instances``, resized to ``size``²), the first
    ``limit`` of them (0: all), as the arrays :func:`scene_arrays` gives, ``box_masks`` included. They are held in
    memory (the supplement's zebra images: about 2k for training, each with its masks)."""
    from zoo.recattend import sources

    examples = sources.coco_instances(split, category, size, max_instances, data_dir=data_dir, download=download)
    batches = list((examples.take(limit) if limit else examples).batch(256).as_numpy_iterator())
    if not batches:
        raise ValueError(f"no image of split {split!r} holds 1 to {max_instances} {category} instances")
    arrays = {key: np.concatenate([b[key] for b in batches]) for key in ("images", "masks", "boxes", "num_objects")}
    arrays["box_masks"] = padded_box_masks(arrays["boxes"], (size, size))
    return arrays


def padded_box_masks(boxes, image_size, padding=0.2):
    """Boolean ``(…, H, W)`` masks of boxes ``(…, 4)`` grown by ``padding`` of their size on each side."""
    boxes = np.asarray(boxes, np.float64)
    grow = (boxes[..., 2:] - boxes[..., :2]) * padding
    low, high = np.floor(boxes[..., :2] - grow), np.ceil(boxes[..., 2:] + grow)
    rows = np.arange(image_size[0])[None, :]
    cols = np.arange(image_size[1])[None, :]
    flat_low, flat_high = low.reshape(-1, 2), high.reshape(-1, 2)
    inside_rows = (rows >= flat_low[:, :1]) & (rows < flat_high[:, :1])
    inside_cols = (cols >= flat_low[:, 1:]) & (cols < flat_high[:, 1:])
    empty = (boxes[..., 2:] <= boxes[..., :2]).any(axis=-1).reshape(-1)
    masks = inside_rows[:, :, None] & inside_cols[:, None, :] & ~empty[:, None, None]
    return masks.reshape(boxes.shape[:-1] + tuple(image_size))


def model_loss(outputs, batch, phase="full"):
    """The paper's loss on one batch: ``{"total", "segment", "box", "score"}``.

    Segments and boxes are each matched to the true instances by maximum-weight matching on their soft IoU;
    the score of a step is supervised to be 1 where its segment was matched. Phase ``"box"`` (pre-training) uses
    the box term only.
    """
    counts = batch["num_objects"]
    box_iou = losses.soft_iou_matrix(outputs["box_masks"], batch["box_masks"])
    box_loss = losses.matched_iou_loss(box_iou, losses.match_instances(box_iou, counts))
    if phase == "box":
        return {"total": box_loss, "segment": tf.constant(0.0), "box": box_loss, "score": tf.constant(0.0)}
    segment_iou = losses.soft_iou_matrix(outputs["masks"], batch["masks"])
    segment_matching = losses.match_instances(segment_iou, counts)
    segment_loss = losses.matched_iou_loss(segment_iou, segment_matching)
    score_loss = losses.monotone_score_loss(outputs["scores"], tf.reduce_max(segment_matching, axis=2))
    return {"total": segment_loss + box_loss + score_loss, "segment": segment_loss, "box": box_loss,
            "score": score_loss}


@dataclasses.dataclass
class TrainConfig:
    """The curriculum: ``box_steps`` of box-network pre-training (true segments fill the memory, box loss only),
    then ``full_steps`` of the whole model with scheduled sampling, whose schedule (supplement: S = 10,000,
    S₂ = 2,885 of a longer run) is scaled by ``full_steps / 30,000``. Adam with the learning rate multiplied by
    ``lr_decay`` every ``decay_steps``, gradients clipped element-wise to [−1, 1] (the paper's code)."""

    box_steps: int = 1000
    full_steps: int = 3000
    batch_size: int = 8
    lr: float = 1e-3
    lr_decay: float = 0.85
    decay_steps: int = 1000
    seed: int = 0

    def teacher_probability(self, step, timestep):
        """θ of scheduled sampling at full-model step ``step`` for timestep ``timestep``."""
        scale = self.full_steps / 30_000
        return losses.teacher_forcing_probability(step, timestep, offset=10_000 * scale,
                                                  decay_steps=2_885 * scale)


def replica_step(model, phase):
    """The replica step (:class:`zoo.training.distributed.Loop`) of ``phase`` (``"box"`` or ``"full"``): a batch of
    scenes with its teacher-forcing draws ``use_box`` and ``use_mask`` → gradients of this replica's share of the
    loss (every term is a mean over the scenes) and its loss terms."""
    variables = model.trainable_variables

    def step(batch):
        teacher = {"boxes": batch["boxes"], "masks": batch["masks"], "num_objects": batch["num_objects"],
                   "use_box": batch["use_box"], "use_mask": batch["use_mask"]}
        with tf.GradientTape() as tape:
            outputs = model(batch["images"], training=True, teacher=teacher)
            loss = model_loss(outputs, batch, phase)
            share = distributed.replica_share(loss["total"])
        # the box phase leaves the segmentation and score networks out of the loss: their gradients are zero
        return tape.gradient(share, variables), loss

    return step


def clip_elementwise(gradients):
    """Gradients clipped element-wise to [−1, 1] (the paper's code), after the sum over replicas."""
    return [tf.clip_by_value(g, -1.0, 1.0) for g in gradients]


def train(model, train_arrays, config, checkpoint_dir=None, progress=None, strategy=None):
    """Run the curriculum through the shared loop (:class:`zoo.training.distributed.Loop`); resumable from
    ``checkpoint_dir`` (saved every 100 steps, with the loss history). Returns the loss history of every step so
    far, each entry with the cumulative training ``seconds``.

    Under a ``strategy`` of N replicas each takes ``batch_size / N`` of a step's scenes (with their
    teacher-forcing draws); every loss term is a mean over scenes, and the summed gradient is clipped, so the
    step is the single-device one.
    """
    strategy = strategy or tf.distribute.get_strategy()
    with strategy.scope():
        schedule = keras.optimizers.schedules.ExponentialDecay(config.lr, config.decay_steps, config.lr_decay,
                                                               staircase=True)
        optimizer = keras.optimizers.Adam(schedule, epsilon=1e-7)
    loop = distributed.Loop(strategy, optimizer, model.trainable_variables, saved={"weights": list(model.weights)},
                            clip=clip_elementwise, checkpoint_dir=checkpoint_dir, checkpoint_every=100)
    restored = loop.restore()
    history_path = pathlib.Path(checkpoint_dir) / "history.json" if checkpoint_dir else None
    history = []
    if restored and history_path and history_path.exists():
        history = [h for h in json.loads(history_path.read_text()) if h["step"] <= restored]
    total = config.box_steps + config.full_steps
    count, timesteps = len(train_arrays["images"]), model.max_steps

    def batches(k):
        i = k + 1
        rng = np.random.default_rng([config.seed, i])
        index = rng.integers(count, size=config.batch_size)
        batch = {key: train_arrays[key][index] for key in ("images", "masks", "boxes", "box_masks", "num_objects")}
        shape = (config.batch_size, timesteps)
        if i <= config.box_steps:  # pre-training: the network's own boxes, true segments in the memory
            batch["use_box"], batch["use_mask"] = np.zeros(shape, np.float32), np.ones(shape, np.float32)
        else:
            theta = np.array([config.teacher_probability(i - config.box_steps, t) for t in range(timesteps)])
            batch["use_box"] = (rng.uniform(size=shape) < theta).astype(np.float32)
            batch["use_mask"] = (rng.uniform(size=shape) < theta).astype(np.float32)
        return batch

    def after_step(step, loss):
        history.append({"step": step, "phase": "box" if step <= config.box_steps else "full", **loss,
                        "seconds": float(loop.seconds.numpy())})
        if history_path and (step % 100 == 0 or step == total):
            history_path.write_text(json.dumps(history))
        if progress:
            progress(step, total, history[-1])

    loop.run(replica_step(model, "box"), batches, config.box_steps, callback=after_step, verbose=0)
    loop.run(replica_step(model, "full"), batches, total, callback=after_step, verbose=0)
    return history


SCORE_THRESHOLD = 0.5
"""Inference keeps the steps before the first whose stop score falls below this."""
MASK_THRESHOLD = 0.5
"""A kept step's pixel belongs to its instance where its mask is the largest and above this."""


def instance_map(masks, scores, score_threshold=SCORE_THRESHOLD, mask_threshold=MASK_THRESHOLD):
    """Inference on the model's outputs, in TensorFlow: int32 ``(B, H, W)``, 0 for background and ``t + 1`` where
    step ``t`` owns the pixel.

    Steps are kept up to the first whose score falls below ``score_threshold``; each pixel goes to the kept step
    whose mask is largest there (the earliest on ties), if that mask exceeds ``mask_threshold``.

    Args:
        masks: ``(B, T, H, W)`` in [0, 1].
        scores: ``(B, T)`` stop scores in [0, 1].
    """
    masks, scores = tf.convert_to_tensor(masks, tf.float32), tf.convert_to_tensor(scores, tf.float32)
    stopped = tf.cumsum(tf.cast(scores < score_threshold, tf.int32), axis=1) > 0
    candidates = tf.where(stopped[:, :, None, None], -1.0, masks)  # masks are >= 0: a stopped step never wins
    owner = tf.argmax(candidates, axis=1, output_type=tf.int32)
    return tf.where(tf.reduce_max(candidates, axis=1) > mask_threshold, owner + 1, 0)


def instances_of(label_map, scores):
    """One image's instances from its :func:`instance_map` ``(H, W)`` and scores ``(T,)``: ``(masks bool (K, H, W),
    scores (K,))`` of the steps that own at least one pixel, in step order."""
    label_map, scores = np.asarray(label_map), np.asarray(scores)
    steps = [t for t in range(len(scores)) if (label_map == t + 1).any()]
    masks = np.array([label_map == t + 1 for t in steps], bool).reshape(len(steps), *label_map.shape)
    return masks, scores[steps]


def segment(model, images, score_threshold=SCORE_THRESHOLD, mask_threshold=MASK_THRESHOLD):
    """Instances of each image: ``(masks bool (K, H, W), scores (K,))`` (see :func:`instance_map`; empty instances
    are dropped)."""
    outputs = model(images)
    labels = instance_map(outputs["masks"], outputs["scores"], score_threshold, mask_threshold).numpy()
    return [instances_of(label_map, scores) for label_map, scores in zip(labels, np.asarray(outputs["scores"]))]


def evaluate(model, arrays, batch_size=32, progress=None, **segment_kwargs):
    """Mean SBD, |DiC|, MWCov and MUCov over the scenes and AP at IoU 0.5 over the set; ``progress`` shows a bar
    over the scenes (True, False, or None: on a terminal; see :func:`zoo.progress.progress_bar`)."""
    predictions, truths = [], []
    count = len(arrays["images"])
    with progress_bar(count, "segmenting scenes", unit="scene", show=progress) as bar:
        for start in range(0, count, batch_size):
            predictions += segment(model, arrays["images"][start:start + batch_size], **segment_kwargs)
            for masks, objects in zip(arrays["masks"][start:start + batch_size],
                                      arrays["num_objects"][start:start + batch_size]):
                truths.append(masks[:objects])
            bar.update(min(batch_size, count - start))
    per_scene = {"sbd": [], "abs_dic": [], "mwcov": [], "mucov": []}
    for (masks, _), truth in zip(predictions, truths):
        per_scene["sbd"].append(metrics.symmetric_best_dice(masks, truth))
        per_scene["abs_dic"].append(metrics.difference_in_count(masks, truth))
        per_scene["mwcov"].append(metrics.coverage(masks, truth, weighted=True))
        per_scene["mucov"].append(metrics.coverage(masks, truth, weighted=False))
    result = {key: float(np.mean(values)) for key, values in per_scene.items()}
    result["ap50"] = metrics.average_precision(predictions, truths, threshold=0.5)
    result["scenes"] = len(truths)
    return result


def write_weight_record(model, run, name, *, builder_kwargs, config, train_scenes, test_scenes, result, seconds,
                        command):
    """``name`` (``recattend.TAG``) weights and a manifest-ready record in the run directory ``run`` (publish them
    with ``tools/zoo/publish.py``): trained by ``config`` on ``train_scenes`` scenes of seed ``config.seed``,
    :func:`evaluate`'s ``result`` on ``test_scenes`` scenes of seed ``config.seed + 1``; ``seconds`` may be None."""
    from zoo.training import records

    records.write_weight_record(
        model, run, name, architecture="recattend", builder_kwargs=builder_kwargs, dataset="fashion_mnist_scenes",
        split={"train": f"{train_scenes} 64×64 scenes of 1–4 train-split articles (seed {config.seed})",
               "test": f"{test_scenes} scenes of test-split articles (seed {config.seed + 1})"},
        preprocessing={"input_dtype": "uint8", "input_shape": [64, 64, 3], "scale": 1 / 255,
                       "scenes": "zoo.recattend.training.SCENES"},
        metrics={k: round(v, 4) for k, v in result.items() if k != "scenes"} | {"test_scenes": result["scenes"]},
        command=command,
        training={"steps": config.box_steps + config.full_steps, "box_steps": config.box_steps,
                  "batch_size": config.batch_size, "lr": config.lr, "optimizer": "adam", "seed": config.seed,
                  **({"seconds": round(seconds)} if seconds else {})})
