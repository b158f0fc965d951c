"""Reading a user's image files as a model's raw input: decode, then convert colour and size where needed, saying so."""
import pathlib

import numpy as np


def read_image(path, shape, say=print):
    """The image file ``path`` (PNG, JPEG, GIF or BMP) as uint8 ``shape`` ``(H, W, C)``.

    A colour image for a grey model is converted to grey (and a grey one to colour), an alpha channel is
    dropped, and an image of another size is resized (bilinear, antialiased); each conversion is reported through
    ``say`` in one line. Raises ``ValueError`` naming the file when it cannot be read or is not an image.
    """
    import tensorflow as tf

    path = pathlib.Path(path)
    height, width, channels = shape
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read image {path}: {error.strerror or error}") from error
    if not data:
        raise ValueError(f"image {path} is empty")
    try:
        image = tf.io.decode_image(data, expand_animations=False).numpy()
    except tf.errors.InvalidArgumentError as error:
        raise ValueError(f"{path} is not a PNG, JPEG, GIF or BMP image") from error
    if image.shape[-1] in (2, 4):
        image = image[..., :-1]
        say(f"{path.name}: dropped the alpha channel")
    if image.shape[-1] != channels:
        if channels == 1:
            image = tf.cast(tf.round(tf.image.rgb_to_grayscale(image)), tf.uint8).numpy()
            say(f"{path.name}: converted the colour image to grey (the model takes {height}×{width}×1)")
        else:
            image = np.repeat(image, channels, axis=-1)
            say(f"{path.name}: converted the grey image to {channels} channels (the model takes colour)")
    if image.shape[:2] != (height, width):
        say(f"{path.name}: resized {image.shape[1]}×{image.shape[0]} to {width}×{height} pixels"
            + (" (aspect ratio changed)" if image.shape[1] * height != image.shape[0] * width else ""))
        resized = tf.image.resize(image, (height, width), antialias=True)
        image = tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8).numpy()
    return image


def read_images(paths, shape, say=print, what="image"):
    """Every file of ``paths`` read as :func:`read_image` does: ``{"images": uint8 (N, *shape), "sources": paths}``.
    ``what`` names the expected files in the error for an empty list (e.g. ``"scene image"``)."""
    if not paths:
        raise ValueError(f"give at least one {what} file")
    return {"images": np.stack([read_image(p, shape, say) for p in paths]), "sources": [str(p) for p in paths]}
