"""Exact parameter and multiply-accumulate counts of real architectures, layer by layer.

Every count comes from an explicit description of the architecture, walked with plain
integer arithmetic (no tensors are built). The ImageNet nets follow torchvision's layouts
exactly, so :func:`count` gives the same numbers as ``sum(p.numel() for p in
model.parameters())`` on ``torchvision.models.<name>()``:

* ``resnet18/34`` (basic blocks) and ``resnet50/101/152`` (bottlenecks, stride in the 3×3
  conv): stem 7×7/2 conv (64, no bias) → BN → ReLU → 3×3/2 max-pool; four stages of 64, 128,
  256, 512 planes; a 1×1 strided conv + BN shortcut ("downsample") where the shape changes;
  global average pool; ``fc`` to 1000 classes with bias.
* ``resnet50_v1``, ``resnet101_v1``, ``resnet152_v1``: the same bottleneck nets in the layout of
  He et al. (2016a) and its Caffe models ("v1"), where the first block of a stage puts its stride
  in the 1×1 reduce instead of the 3×3: the same weights, fewer MACs (that 1×1 runs on the
  smaller output map). torchvision's ``resnet50`` is the later "v1.5" layout.
* ``resnext50_32x4d``, ``resnext101_32x8d`` (grouped 3×3 convs, 32 groups of width 4 or 8
  per 64 planes) and ``wide_resnet50_2`` (bottleneck width doubled).
* ``densenet121/161/169/201``: stem 7×7/2 conv → BN → ReLU → 3×3/2 max-pool; dense blocks of
  pre-activation layers (BN → ReLU → 1×1 conv to ``4·k`` → BN → ReLU → 3×3 conv to ``k``,
  concatenated); transitions BN → ReLU → 1×1 conv halving the channels → 2×2/2 average pool;
  a final BN; ``fc`` (torchvision's ``classifier``) to 1000 classes with bias.
* ``cifar_resnet20/32/44/56/110`` (He et al. 2016a, depth ``6n + 2``): 3×3 conv to 16 → BN;
  three stages of ``n`` basic blocks with 16, 32, 64 channels, stride 2 at the first block of
  stages 2 and 3, option-A shortcuts (subsample and zero-pad: no parameters, no MACs);
  global average pool; ``fc`` to 10 classes with bias.
* ``plain18``, ``plain34``, ``cifar_plain20 … cifar_plain110``: the same nets with no
  shortcuts at all (so ``plain18/34`` also lose the downsample projections).

Convolutions have no bias (each is followed or preceded by BN). A BN layer has ``2·C``
parameters (weight and bias; running statistics are buffers, not parameters).

MACs count only convolutions, ``k_h·k_w·(C_in/groups)·C_out·H_out·W_out``, and
fully-connected layers, ``in·out``; BN, ReLU, pooling and additions count zero. Spatial sizes
follow PyTorch's ``floor((in + 2·pad − k) / stride) + 1``.

The layer table has one row per module with parameters, in forward order: every conv,
every BN (its own row, ``kind="bn"``, ``macs=0``) and the final fully-connected layer.
Pooling layers and option-A shortcuts have neither parameters nor MACs and get no row (their
effect shows in the next row's ``output_shape``). ``output_shape`` is that module's own
output for one image (a DenseNet layer's ``conv2`` row shows its ``k`` new channels, not the
concatenation).

Examples
--------
>>> from simcore import variants
>>> variants.count("resnet50")["params"]
25557032
>>> variants.count("resnet18")["macs"]
1814073344
>>> variants.layers("cifar_resnet20")[0]
{'stage': 'conv1', 'block': None, 'layer': 'conv1', 'kind': 'conv', 'output_shape': [16, 32, 32], 'params': 432, 'macs': 442368}
"""

from __future__ import annotations

import math

from .messages import FieldError, shown

NAMES: tuple[str, ...] = (
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "resnet50_v1", "resnet101_v1", "resnet152_v1",
    "resnext50_32x4d", "resnext101_32x8d", "wide_resnet50_2",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "cifar_resnet20", "cifar_resnet32", "cifar_resnet44", "cifar_resnet56", "cifar_resnet110",
    "plain18", "plain34",
    "cifar_plain20", "cifar_plain32", "cifar_plain44", "cifar_plain56", "cifar_plain110",
)

# name -> (block, blocks per stage, groups, width per group, shortcuts); the ``_v1`` names
# (stride in the 1x1 reduce) are listed in _STRIDE_IN_1X1
_RESNETS = {
    "resnet18": ("basic", (2, 2, 2, 2), 1, 64, True),
    "resnet34": ("basic", (3, 4, 6, 3), 1, 64, True),
    "resnet50": ("bottleneck", (3, 4, 6, 3), 1, 64, True),
    "resnet101": ("bottleneck", (3, 4, 23, 3), 1, 64, True),
    "resnet152": ("bottleneck", (3, 8, 36, 3), 1, 64, True),
    "resnext50_32x4d": ("bottleneck", (3, 4, 6, 3), 32, 4, True),
    "resnext101_32x8d": ("bottleneck", (3, 4, 23, 3), 32, 8, True),
    "wide_resnet50_2": ("bottleneck", (3, 4, 6, 3), 1, 128, True),
    "plain18": ("basic", (2, 2, 2, 2), 1, 64, False),
    "plain34": ("basic", (3, 4, 6, 3), 1, 64, False),
}
_STRIDE_IN_1X1 = {f"{n}_v1" for n in ("resnet50", "resnet101", "resnet152")}
_RESNETS.update({n: _RESNETS[n.removesuffix("_v1")] for n in sorted(_STRIDE_IN_1X1)})

# name -> (growth rate, blocks, stem width)
_DENSENETS = {
    "densenet121": (32, (6, 12, 24, 16), 64),
    "densenet161": (48, (6, 12, 36, 24), 96),
    "densenet169": (32, (6, 12, 32, 32), 64),
    "densenet201": (32, (6, 12, 48, 32), 64),
}

# name -> (n blocks per stage, shortcuts)
_CIFAR = {f"cifar_{kind}{6 * n + 2}": (n, kind == "resnet")
          for kind in ("resnet", "plain") for n in (3, 5, 7, 9, 18)}

IMAGENET_RESOLUTIONS = (32, 1024)   # allowed range for the ImageNet nets (default 224)
CIFAR_RESOLUTIONS = (8, 1024)       # allowed range for the CIFAR nets (default 32)


def _check_name(name) -> str:
    if not isinstance(name, str) or name not in NAMES:
        raise FieldError("name", f"name: {shown(name)} is not one of {', '.join(NAMES)}")
    return name


def _resolution_range(name: str) -> tuple[int, int]:
    return CIFAR_RESOLUTIONS if name in _CIFAR else IMAGENET_RESOLUTIONS


def default_resolution(name: str) -> int:
    """The input side the net was designed for: 32 for the CIFAR nets, 224 otherwise.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.

    Returns
    -------
    int
    """
    return 32 if _check_name(name) in _CIFAR else 224


def _check_resolution(name: str, resolution) -> int:
    if resolution is None:
        return default_resolution(name)
    lo, hi = _resolution_range(name)
    expected = f"expected an integer in [{lo}, {hi}] for {name}"
    if isinstance(resolution, bool) or not isinstance(resolution, (int, float)):
        raise FieldError("resolution", f"resolution: {shown(resolution)} is not allowed (wrong type); {expected}")
    if isinstance(resolution, float) and not (math.isfinite(resolution) and resolution.is_integer()):
        raise FieldError("resolution", f"resolution: {shown(resolution)} is not allowed (not an integer); {expected}")
    if not lo <= resolution <= hi:
        raise FieldError("resolution", f"resolution: {shown(resolution)} is not allowed (out of range); {expected}")
    return int(resolution)


class _Table:
    """Walks a net forward, keeping the current feature map ``(C, H, W)`` and the rows."""

    def __init__(self, name: str, channels: int, resolution: int) -> None:
        self.name, self.resolution = name, resolution
        self.c, self.h, self.w = channels, resolution, resolution
        self.rows: list[dict] = []

    def _size(self, n: int, k: int, stride: int, pad: int) -> int:
        out = (n + 2 * pad - k) // stride + 1
        if out < 1:
            lo, hi = _resolution_range(self.name)
            raise FieldError("resolution", f"resolution: {self.resolution} is not allowed (a feature map of "
                             f"{self.name} would be empty); expected an integer in [{lo}, {hi}] "
                             f"for {self.name}")
        return out

    def _row(self, stage, block, layer, kind, shape, params, macs) -> None:
        self.rows.append({"stage": stage, "block": block, "layer": layer, "kind": kind,
                          "output_shape": list(shape), "params": params, "macs": macs})

    def conv(self, stage, block, layer, c_out, k, stride=1, groups=1, c_in=None):
        """A bias-free ``k×k`` conv with padding ``k // 2``; returns the output ``(C, H, W)``.

        ``c_in`` defaults to the current channels; the table's state becomes the output.
        """
        c_in = self.c if c_in is None else c_in
        pad = k // 2
        h, w = self._size(self.h, k, stride, pad), self._size(self.w, k, stride, pad)
        params = k * k * (c_in // groups) * c_out
        self._row(stage, block, layer, "conv", (c_out, h, w), params, params * h * w)
        self.c, self.h, self.w = c_out, h, w
        return c_out, h, w

    def bn(self, stage, block, layer, channels=None) -> None:
        """Batch normalisation over ``channels`` (default: the current ones)."""
        c = self.c if channels is None else channels
        self._row(stage, block, layer, "bn", (c, self.h, self.w), 2 * c, 0)

    def pool(self, k, stride, pad=0) -> None:
        """A max or average pool: no row, only a new spatial size."""
        self.h, self.w = self._size(self.h, k, stride, pad), self._size(self.w, k, stride, pad)

    def fc(self, out: int) -> None:
        """Global average pool to 1×1, then a linear layer with bias."""
        self.h = self.w = 1
        self._row("fc", None, "fc", "fc", (out,), self.c * out + out, self.c * out)
        self.c = out


def _resnet(t: _Table, name: str) -> None:
    block, blocks, groups, width_per_group, shortcuts = _RESNETS[name]
    expansion = 1 if block == "basic" else 4
    t.conv("conv1", None, "conv1", 64, 7, stride=2)
    t.bn("conv1", None, "bn1")
    t.pool(3, 2, 1)
    for s, (planes, n) in enumerate(zip((64, 128, 256, 512), blocks)):
        stage = f"layer{s + 1}"
        for b in range(n):
            stride = 2 if s > 0 and b == 0 else 1
            c_in, h_in, w_in = t.c, t.h, t.w
            if block == "basic":
                t.conv(stage, b, "conv1", planes, 3, stride)
                t.bn(stage, b, "bn1")
                t.conv(stage, b, "conv2", planes, 3)
                t.bn(stage, b, "bn2")
            else:
                width = planes * width_per_group // 64 * groups
                v1 = name in _STRIDE_IN_1X1
                t.conv(stage, b, "conv1", width, 1, stride if v1 else 1)
                t.bn(stage, b, "bn1")
                t.conv(stage, b, "conv2", width, 3, 1 if v1 else stride, groups)
                t.bn(stage, b, "bn2")
                t.conv(stage, b, "conv3", planes * expansion, 1)
                t.bn(stage, b, "bn3")
            if shortcuts and (stride != 1 or c_in != planes * expansion):
                out = t.c, t.h, t.w
                t.c, t.h, t.w = c_in, h_in, w_in
                t.conv(stage, b, "downsample", planes * expansion, 1, stride)
                t.bn(stage, b, "downsample_bn")
                assert (t.c, t.h, t.w) == out
    t.fc(1000)


def _densenet(t: _Table, name: str, bn_size: int = 4) -> None:
    growth, blocks, c = _DENSENETS[name]
    t.conv("conv1", None, "conv0", c, 7, stride=2)
    t.bn("conv1", None, "norm0")
    t.pool(3, 2, 1)
    for s, n in enumerate(blocks):
        stage = f"dense{s + 1}"
        for b in range(n):
            t.bn(stage, b, "norm1", c)
            t.conv(stage, b, "conv1", bn_size * growth, 1, c_in=c)
            t.bn(stage, b, "norm2")
            t.conv(stage, b, "conv2", growth, 3)
            c += growth
        t.c = c
        if s < len(blocks) - 1:
            stage = f"transition{s + 1}"
            t.bn(stage, None, "norm")
            c //= 2
            t.conv(stage, None, "conv", c, 1)
            t.pool(2, 2)
    t.bn("norm5", None, "norm5")
    t.fc(1000)


def _cifar(t: _Table, name: str) -> None:
    n, _ = _CIFAR[name]      # option-A shortcuts add nothing, so both kinds count alike
    t.conv("conv1", None, "conv1", 16, 3)
    t.bn("conv1", None, "bn1")
    for s, planes in enumerate((16, 32, 64)):
        stage = f"stage{s + 1}"
        for b in range(n):
            t.conv(stage, b, "conv1", planes, 3, 2 if s > 0 and b == 0 else 1)
            t.bn(stage, b, "bn1")
            t.conv(stage, b, "conv2", planes, 3)
            t.bn(stage, b, "bn2")
    t.fc(10)


def layers(name: str, resolution: int | None = None) -> list[dict]:
    """The layer-by-layer table of a net: one row per conv, BN and fc layer, in forward order.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    resolution : int, optional
        Side of the square input image: in [32, 1024] for the ImageNet nets (default 224),
        in [8, 1024] for the CIFAR nets (default 32).

    Returns
    -------
    list of dict
        Each row has ``stage`` (``"conv1"`` for the stem; ``"layer1"``–``"layer4"``,
        ``"dense1"``–``"dense4"``, ``"transition1"``–``"transition3"``, ``"norm5"``, or
        ``"stage1"``–``"stage3"``; ``"fc"`` for the classifier), ``block`` (index of the
        block or dense layer within its stage, ``None`` for stem, transition and head rows),
        ``layer`` (torchvision's module name within the block: ``"conv1"``, ``"bn1"``,
        ``"downsample"``, ``"downsample_bn"``, ``"norm1"``, ``"fc"``, …), ``kind``
        (``"conv"``, ``"bn"`` or ``"fc"``), ``output_shape`` (``[C, H, W]`` or
        ``[features]``, for one image), ``params`` and ``macs`` (ints; a BN row has ``2·C``
        parameters and no MACs).

    Raises
    ------
    ValueError
        If ``name`` is unknown (message starts ``name:``) or ``resolution`` is not an allowed
        integer (message starts ``resolution:``).
    """
    name = _check_name(name)
    resolution = _check_resolution(name, resolution)
    t = _Table(name, 3, resolution)
    build = _resnet if name in _RESNETS else _densenet if name in _DENSENETS else _cifar
    build(t, name)
    return t.rows


def count(name: str, resolution: int | None = None) -> dict:
    """Total parameters and MACs of a net, with its layer table.

    Parameters
    ----------
    name : str
        One of :data:`NAMES`.
    resolution : int, optional
        Side of the square input image (see :func:`layers`); ``None`` means the default,
        224 for the ImageNet nets and 32 for the CIFAR nets.

    Returns
    -------
    dict
        ``{"name", "resolution", "params", "macs", "layers"}``: plain Python values, ready
        for ``json.dumps``. ``params`` and ``macs`` are the sums of the table's columns.

    Raises
    ------
    ValueError
        As :func:`layers`.
    """
    name = _check_name(name)
    resolution = _check_resolution(name, resolution)
    rows = layers(name, resolution)
    return {"name": name, "resolution": resolution,
            "params": sum(r["params"] for r in rows), "macs": sum(r["macs"] for r in rows),
            "layers": rows}
