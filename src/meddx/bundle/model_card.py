"""The bundle's ``model_card.md``, written from facts the run knows, mapped to TRIPOD+AI.

TRIPOD+AI (Collins et al., BMJ 2024;385:e078378) lists what a report of a clinical prediction
model built with AI must state. A meddx run knows some of it exactly (data, splits, model,
training, performance with CIs, calibration, subgroups, duplicates found); the rest (setting,
eligibility, ethics, ...) only the developer knows. The card fills the first kind and lists
the second as "to fill", so nothing is silently missing. No library writes such a card from a
run, hence this module. Its sections live in ``card_*`` modules (data and model, results, per-label
calibration, limitations, checklist, privacy), re-exported here.
"""

from __future__ import annotations

import datetime
from typing import Any

from meddx.bundle.card_checklist import TO_FILL, TRIPOD_AI_ITEMS, _checklist  # noqa: F401  (re-exported)
from meddx.bundle.card_label_calibration import label_calibration_section
from meddx.bundle.card_limits import _limitations_section, limitations  # noqa: F401  (re-exported)
from meddx.bundle.card_model import (_data_section, _model_section, epoch_note, epochs_lines,  # noqa: F401
                                     orientation_line)  # (re-exported: bundle.seg_card, tests)
from meddx.bundle.card_privacy import _federated_section, _privacy_section  # noqa: F401  (re-exported)
from meddx.bundle.card_results import (_baseline_section, _calibration_section, _operating_section,  # noqa: F401
                                       _performance_section, _subgroup_section)


def render_model_card(cfg: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Markdown model card from a bundle's ``config.json`` and training ``metrics.json``."""
    import meddx

    card = cfg.get("card", {})
    today = datetime.date.today().isoformat()
    lines = [
        f"# Model card: {cfg['name']}",
        "",
        f"Written by meddx {meddx.__version__} on {today} from what the training run measured. "
        f"Items marked {TO_FILL} are known only to the developer (see the TRIPOD+AI checklist at the end).",
        "",
        "## Intended use",
        card.get("intended_use") or f"{TO_FILL}: the clinical question, population, setting and users "
        "(set `intended_use` in the training config).",
        "",
        "Research use. Not a medical device: validate on data from the intended site, population and device before "
        "any clinical use.",
        "",
        "## Outcome",
        card.get("outcome") or f"{TO_FILL}: how and when the reference label was determined "
        "(set `outcome` in the training config).",
        f"Task: {cfg['task']} classification; labels: {', '.join(cfg['label_names'])}.",
        "",
        *_data_section(cfg, metrics.get("dataset")),
        *_model_section(cfg),
        *_privacy_section(cfg.get("privacy")),
        *_federated_section(cfg),
        *_operating_section(cfg),
        *_performance_section(cfg, metrics),
        *_baseline_section(metrics),
        *_calibration_section(metrics),
        *label_calibration_section(cfg, metrics),  # multi-label: each label's own calibration
        *_subgroup_section(metrics.get("test") or {}),
        *_limitations_section(cfg, metrics),
        *_checklist(),
    ]
    return "\n".join(lines) + "\n"
