"""``tf.distribute`` strategies by name, with logical CPU devices when no accelerator is present, and the
``--strategy`` / ``--num_cpu_devices`` flags every training tool shares."""
import tensorflow as tf

STRATEGIES = ("default", "mirrored", "multi_worker")


def make_strategy(name, num_cpu_devices=2):
    """The distribution strategy called ``name``.

    Args:
        name: ``"default"`` (one device), ``"mirrored"`` (``MirroredStrategy`` over the local GPUs, or over
            ``num_cpu_devices`` logical CPU devices when there are none), or ``"multi_worker"``
            (``MultiWorkerMirroredStrategy``, configured by the ``TF_CONFIG`` environment variable).
        num_cpu_devices: logical CPU devices to create for ``"mirrored"`` on a machine without GPUs.
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if tf.config.list_physical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        split_cpu(num_cpu_devices)
        return tf.distribute.MirroredStrategy([f"/cpu:{i}" for i in range(num_cpu_devices)])
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")


def split_cpu(count):
    """Split the physical CPU into ``count`` logical devices (only possible before TensorFlow starts)."""
    if count < 1:
        raise ValueError(f"num_cpu_devices must be at least 1, got {count}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current and len(current) == count:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * count)
    except RuntimeError as err:
        raise RuntimeError(
            f"cannot split the CPU into {count} logical devices after TensorFlow has started; "
            "create the mirrored strategy before running any TensorFlow operation") from err


def define_flags():
    """Define ``--strategy`` and ``--num_cpu_devices`` (absl flags) for a training tool."""
    from absl import flags

    flags.DEFINE_enum("strategy", "default", STRATEGIES, "tf.distribute strategy: one device, MirroredStrategy over "
                      "the local GPUs (or logical CPUs), or MultiWorkerMirroredStrategy configured by TF_CONFIG")
    flags.DEFINE_integer("num_cpu_devices", 2, "logical CPUs for --strategy=mirrored without GPUs")


def from_flags():
    """The strategy the ``--strategy`` and ``--num_cpu_devices`` flags name (create it before any TensorFlow op)."""
    from absl import flags

    return make_strategy(flags.FLAGS.strategy, flags.FLAGS.num_cpu_devices)
