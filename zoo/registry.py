"""Model registry: architectures registered by name, weights named ``ARCH.TAG``, each family's task, load by name.

An *architecture* is a builder function registered once with :func:`register_model` in its family's
``models.py``. A *weight* is a record in the packaged manifest (see :mod:`zoo.weights`) named ``ARCH.TAG``,
where the tag says what it was trained on (``resnet-32.fashion_mnist``). A *task* (:mod:`zoo.tasks`) is how a
family's weights are fed, evaluated and served; a family package ``zoo/<family>/`` provides it as
``zoo.<family>.task.TASK``, and code outside the package registers one with :func:`register_task`.

Nothing here imports TensorFlow or Keras: the families' ``models.py`` import them only inside the builders, so
listing and describing models is instant. Families are discovered on first use: every subpackage of ``zoo``
with a ``models`` module is imported once.
"""
import dataclasses
import difflib
import fnmatch
import importlib
import importlib.util
import inspect
import logging
import os
import pkgutil
from typing import Callable

from zoo import weights as weights_lib

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registered architecture.

    Attributes:
        name: registry name, e.g. ``"resnet-32"``.
        builder: function ``(**kwargs) -> keras.Model``.
        family: model family, the name of its task (for the zoo's own families, its package), e.g. ``"resnet"``.
        paper: paper identifier, e.g. ``"arXiv:1707.04585"``.
        description: first line of the builder's docstring.
        default_weight: tag of the weight :func:`load` takes for the bare architecture name (the paper's model);
            None when the architecture has at most one weight.
    """

    name: str
    builder: Callable
    family: str
    paper: str
    description: str
    default_weight: str | None = None


_MODELS: dict[str, ModelSpec] = {}
_TASKS: dict = {}
_discovered = False


def register_model(name: str, *, family: str, paper: str, default_weight: str | None = None):
    """Decorator registering ``builder`` under ``name``; a name may be registered only once.

    Args:
        name: the architecture's name (no ``"."``, which separates ``ARCH.TAG`` weight names).
        family: its family; :func:`get_task` finds the family's task by this name.
        paper: the paper it comes from, e.g. ``"arXiv:1707.04585"``.
        default_weight: the tag of the weight a bare ``name`` loads, where the architecture has several.
    """

    def decorate(builder):
        if name in _MODELS:
            raise ValueError(f"model name {name!r} is already registered by {_MODELS[name].builder.__module__}")
        if "." in name:
            raise ValueError(f"model name {name!r} must not contain '.', which separates ARCH.TAG weight names")
        doc = inspect.getdoc(builder) or ""
        _MODELS[name] = ModelSpec(name, builder, family, paper, doc.splitlines()[0] if doc else "", default_weight)
        return builder

    return decorate


def register_task(family: str, task) -> None:
    """Register ``task`` (a :class:`zoo.tasks.Task`) for ``family``, for families outside the ``zoo`` package."""
    if family in _TASKS:
        raise ValueError(f"a task is already registered for family {family!r}")
    _TASKS[family] = task


def unregister(family: str) -> None:
    """Forget every architecture and the task of ``family`` (for tests that register a throw-away family)."""
    for name in [n for n, spec in _MODELS.items() if spec.family == family]:
        del _MODELS[name]
    _TASKS.pop(family, None)


def has_task(family: str) -> bool:
    """Whether ``family`` has a task: a registered one, or a ``zoo.<family>.task`` module."""
    if family in _TASKS:
        return True
    try:
        return importlib.util.find_spec(f"zoo.{family}.task") is not None
    except ModuleNotFoundError:  # no package zoo.<family>
        return False


def get_task(family: str):
    """The :class:`zoo.tasks.Task` of ``family``: a registered one, else ``zoo.<family>.task.TASK``."""
    if not has_task(family):
        raise ValueError(f"family {family!r} has no task: add zoo/{family}/task.py defining TASK, or call "
                         "zoo.registry.register_task")
    if family not in _TASKS:
        _TASKS[family] = importlib.import_module(f"zoo.{family}.task").TASK
    return _TASKS[family]


def _discover():
    """Import every family's ``models`` module once, so their architectures register."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    import zoo

    for package in pkgutil.iter_modules(zoo.__path__):
        # look for the module on disk: find_spec("zoo.X.models") would import zoo.X, which may import Keras
        location = os.path.join(package.module_finder.path, package.name)
        if package.ispkg and any(m.name == "models" for m in pkgutil.iter_modules([location])):
            importlib.import_module(f"zoo.{package.name}.models")


def list_models(pattern: str = "*", pretrained: bool = False) -> list[str]:
    """Sorted names matching the fnmatch ``pattern``.

    With ``pretrained=False`` these are architectures (``resnet-32``); with ``pretrained=True``,
    the weights that exist for them (``resnet-32.fashion_mnist``).
    """
    _discover()
    if pretrained:
        names = [w for w in weights_lib.load_manifest() if w.split(".", 1)[0] in _MODELS]
    else:
        names = list(_MODELS)
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))


def get_model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of architecture ``name`` (``ARCH`` or ``ARCH.TAG``)."""
    _discover()
    arch = name.split(".", 1)[0]
    if arch not in _MODELS:
        raise ValueError(_unknown_name_message(name))
    return _MODELS[arch]


def get_weight_spec(name: str) -> weights_lib.WeightSpec:
    """The weight record for ``ARCH.TAG``, or for ``ARCH`` its default weight (:func:`default_weight`)."""
    spec = get_model_spec(name)
    manifest = weights_lib.load_manifest()
    if "." in name:
        if name not in manifest:
            raise ValueError(_unknown_name_message(name, candidates=list(manifest)))
        return manifest[name]
    return manifest[default_weight(spec.name)]


def default_weight(architecture: str) -> str:
    """The weight a bare architecture name loads: its declared default (the paper's model), or its only weight.

    Raises ``ValueError`` when it has no weight, or several and none declared.
    """
    spec = get_model_spec(architecture)
    tags = sorted(w for w in weights_lib.load_manifest() if w.split(".", 1)[0] == spec.name)
    if spec.default_weight is not None:
        name = f"{spec.name}.{spec.default_weight}"
        if name not in tags:
            raise ValueError(f"{spec.name!r} declares default weight {name!r}, which is not in the manifest "
                             f"(weights: {', '.join(tags) or 'none'})")
        return name
    if len(tags) == 1:
        return tags[0]
    if not tags:
        raise ValueError(f"{spec.name!r} has no pretrained weights; pass pretrained=False to build it with random "
                         f"weights. Pretrained models: {', '.join(list_models(pretrained=True)) or 'none'}")
    raise ValueError(f"{spec.name!r} has several weights and declares no default; name one: {', '.join(tags)}")


def model_info(name: str) -> dict:
    """Everything known about ``name``: the architecture, and for ``ARCH.TAG`` every field of its weight record."""
    spec = get_model_spec(name)
    info = {
        "architecture": spec.name,
        "family": spec.family,
        "paper": spec.paper,
        "description": spec.description,
        "builder": f"{spec.builder.__module__}.{spec.builder.__name__}",
        "weights": list_models(f"{spec.name}.*", pretrained=True),
        "default_weight": spec.default_weight and f"{spec.name}.{spec.default_weight}",
    }
    if "." in name:
        info["weight"] = dataclasses.asdict(get_weight_spec(name))
    return info


def build(name: str, **kwargs):
    """Build architecture ``name`` with random weights."""
    spec = get_model_spec(name)
    check_keras_backend()
    return spec.builder(**kwargs)


def load(name: str, pretrained: bool = True, num_classes: int | None = None, include_top: bool = True,
         include_preprocessing: bool = False, **overrides):
    """Build model ``name`` and, if ``pretrained``, load its verified weights.

    Args:
        name: ``ARCH`` or ``ARCH.TAG`` (see :func:`list_models`). ``ARCH`` with ``pretrained=True`` takes the
            architecture's default weight (:func:`default_weight`).
        pretrained: load weights (sha256-verified; see :mod:`zoo.weights`) or keep random ones.
        num_classes: a classifier head of this many classes. With pretrained weights trained for another number,
            the backbone keeps them and the new head starts from its initializer (transfer learning).
        include_top: False gives the backbone's pooled features instead of logits (classifier backbones and the
            few-shot embedding).
        include_preprocessing: the model takes raw stored images (e.g. uint8) and applies the weight's own
            preprocessing, so a ``.keras`` file or an export carries it (pretrained weights only).
        **overrides: other builder keyword arguments. With pretrained weights, options that leave the weights'
            shapes alone (SBNet's ``impl``, an input size of a convolutional network) are accepted; the others
            raise ``ValueError``.

    Returns:
        A built ``keras.Model``.
    """
    from zoo import transfer  # Keras-dependent: imported only to build a model

    spec = get_model_spec(name)
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    if not pretrained:
        if include_preprocessing:
            raise ValueError("include_preprocessing applies a pretrained weight's preprocessing; it needs "
                             "pretrained=True")
        model = build(name, **overrides, **({} if num_classes is None else {"num_classes": num_classes}))
        _build_for_export(spec, model)
        return model if include_top else transfer.features_model(model, spec.name)
    weight = get_weight_spec(name)
    path = weights_lib.resolve(weight)
    check_keras_backend()
    recorded_classes = weight.builder_kwargs.get("num_classes")
    new_head = num_classes is not None and num_classes != recorded_classes
    model = _build_with_weights(spec, weight, path, overrides)
    if new_head:
        model = transfer.with_new_head(model, lambda: spec.builder(**{**weight.builder_kwargs, **overrides,
                                                                      "num_classes": num_classes}), spec.name)
    if not include_top:
        model = transfer.features_model(model, spec.name)
    if include_preprocessing:
        model = transfer.with_preprocessing(model, weight)
    return model


def _build_with_weights(spec, weight, path, overrides):
    """The architecture built with the weight's arguments and ``overrides``, holding the weight's values."""
    changed = {k: v for k, v in overrides.items()
               if k not in weight.builder_kwargs or _normalise(v) != _normalise(weight.builder_kwargs[k])}
    model = spec.builder(**{**weight.builder_kwargs, **overrides})
    _build_for_export(spec, model)
    try:
        model.load_weights(path)
    except ValueError as error:
        if not changed:
            raise
        detail = ", ".join(f"{k}={v!r}" + (f" (weights: {weight.builder_kwargs[k]!r})" if k in weight.builder_kwargs
                                           else "") for k, v in changed.items())
        raise ValueError(f"the weights of {weight.name!r} do not fit the model built with {detail}: those options "
                         "change the weights' shapes; build it with pretrained=False instead") from error
    if changed:
        logger.info("built %s with %s over the weights' own arguments", weight.name, changed)
    return model


def _build_for_export(spec, model):
    """Let the family's task build ``model`` on its natural input, so subclassed models load weights and
    ``model.export`` knows their input signature (families without weights need no task)."""
    if has_task(spec.family):
        get_task(spec.family).build(model)


def check_keras_backend():
    """Raise ``ImportError`` unless Keras runs on TensorFlow (zoo sets ``KERAS_BACKEND=tensorflow`` when unset)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ImportError("zoo needs Keras on the TensorFlow backend, but "
                          f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND')!r}. Set KERAS_BACKEND=tensorflow (or unset "
                          "it) before importing keras or zoo.")


def _normalise(value):
    return list(value) if isinstance(value, tuple) else value


def _unknown_name_message(name, candidates=None):
    candidates = list(_MODELS) if candidates is None else candidates
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.4)
    hint = f" Closest registered names: {', '.join(close)}." if close else ""
    return f"unknown model {name!r}.{hint} See zoo.list_models() for all names."
