"""What ``meddx models`` lists, without importing a model family.

The family modules register their factories when imported, and importing them all brings in
torch, MONAI and transformers: ``meddx models`` took 14 s on a busy machine to print a table of
names. This static table holds what the listing shows (input, dims, output, description) per
registered name; ``tests/unit/models/test_model_catalog.py`` checks it against the real registry,
so a model registered or described differently without updating it fails the tests.
``create_model``, ``list_models`` and ``model_info`` still read the registry itself.
"""

from __future__ import annotations

import fnmatch

# the ResNet/DenseNet stem and width options, as vision.py appends them to each description
_STEM = ('; stem: small (3x3/1, no pool; MedMNIST), strided (3x3/2, no pool), '
         'standard (7x7/2 + pool) or auto (<=64 px: small); width: first-stage channels (64)')

# name: (input, dims, output, description), as registered (``meddx.models.registry.model_info``)
CATALOG: dict[str, tuple[str, tuple[int, ...], str, str]] = {
    'bilstm-attention': ('text', (1,), 'logits',
        'BiLSTM (2x64) with additive attention pooling'),
    'densenet121': ('image', (2, 3), 'logits',
        'DenseNet-121 (MONAI), 2D/3D' + _STEM),
    'dynunet': ('image', (2, 3), 'segmentation',
        "MONAI DynUNet, nnU-Net's network; depth from patch and spacing"),
    'efficientnet-b0': ('image', (2, 3), 'logits',
        'EfficientNet-B0 (MONAI, no pretrained weights), 2D/3D'),
    'gbm': ('features', (0,), 'logits',
        'Gradient-boosted trees (scikit-learn HistGradientBoosting, run in torch)'),
    'grud': ('series', (0,), 'logits',
        'GRU-D: GRU over masked irregular series with learned decay (Che et al. 2018)'),
    'hf-sequence-classifier': ('text', (1,), 'logits',
        'A local Hugging Face sequence classifier (any AutoModelForSequenceClassification config)'),
    'logreg': ('features', (0,), 'logits',
        'Logistic regression (fitted by scikit-learn, stored as nn.Linear)'),
    'lstm': ('text', (1,), 'logits',
        "The seed article's LSTM: Embedding(128) -> LSTM(64) -> Dense"),
    'mlp': ('features', (0,), 'logits',
        'MLP for table rows: Linear-ReLU-Dropout blocks (no BatchNorm: DP-ready)'),
    'resnet18': ('image', (2, 3), 'logits',
        'ResNet-18 (MONAI), 2D/3D; the MedMNIST baseline' + _STEM),
    'resnet18-3d': ('image', (3,), 'logits',
        "ResNet-18 for volumes (MedMNIST3D's 3D baseline); meddx train's 3D default builds it with "
        "stem=strided, width=32" + _STEM),
    'resnet50': ('image', (2, 3), 'logits',
        'ResNet-50 (MONAI), 2D/3D' + _STEM),
    'resnet50-3d': ('image', (3,), 'logits',
        'ResNet-50 for volumes' + _STEM),
    'seed-cnn': ('image', (2, 3), 'logits',
        "The seed article's 2-conv CNN (22k params at 28 px)"),
    'segresnet': ('image', (2, 3), 'segmentation',
        'MONAI SegResNet (residual encoder, light decoder)'),
    'series-transformer': ('series', (0,), 'logits',
        'Transformer over observation times with continuous-time embeddings (mTAND-style)'),
    'textcnn': ('text', (1,), 'logits',
        'Kim (2014) CNN: Conv1d widths 3/4/5 x 100, max over time'),
    'transformer': ('text', (1,), 'logits',
        'Small transformer encoder (2x128, 4 heads) from scratch'),
    'unet': ('image', (2, 3), 'segmentation',
        'MONAI residual U-Net (2D/3D), instance norm'),
}


def catalog_names(pattern: str = "*") -> list[str]:
    """Listed model names matching the shell-style ``pattern``, sorted (as ``list_models``)."""
    return sorted(name for name in CATALOG if fnmatch.fnmatch(name, pattern))


def catalog_info(name: str) -> dict[str, object]:
    """``input``, ``dims``, ``output`` and ``description`` of a listed model (``KeyError`` if unknown)."""
    kind, dims, output, description = CATALOG[name]
    return {"input": kind, "dims": dims, "output": output, "description": description}
