"""The variants calculator: exact parameters and MACs of real architectures, layer by layer,
and two networks compared (docs/lab/variants.md).

``api.variants`` validates its own two fields (``name``, ``resolution``), which are not in
``api.FIELDS``; the widget's field spec is built here from ``simcore.variants``. The control
``compare`` names the second network, counted by a second ``api.variants`` call at the same
resolution (the browser makes the same two calls).
"""

from __future__ import annotations

from simcore import api
from simcore import variants as _variants

KIND = "variants"

# the resolution control accepts what any network accepts; api.variants then checks the
# range of the chosen network ([32, 1024] for the ImageNet nets) and its message shows
# next to the control
RESOLUTIONS = (min(_variants.CIFAR_RESOLUTIONS[0], _variants.IMAGENET_RESOLUTIONS[0]),
               max(_variants.CIFAR_RESOLUTIONS[1], _variants.IMAGENET_RESOLUTIONS[1]))
FIELDS = {"name": ("choice", list(_variants.NAMES)), "resolution": ("int", list(RESOLUTIONS)),
          "compare": ("choice", list(_variants.NAMES))}
DEFAULTS = {"name": "resnet50", "resolution": 224, "compare": "resnet34"}
TASKS = ("variants",)  # the simcore.api tasks its run calls


def calls(config: dict) -> tuple[dict, dict]:
    """The two api.variants calls the widget makes for ``config``."""
    return ({"name": config["name"], "resolution": config["resolution"]},
            {"name": config["compare"], "resolution": config["resolution"]})


def data(config: dict) -> dict:
    """The two networks the browser counts (``model``, ``compare``)."""
    model, compare = (api.variants(c) for c in calls(config))
    return {"model": model, "compare": compare}
