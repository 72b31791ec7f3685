"""The model card's TRIPOD+AI checklist: each item of the reporting guideline, and where the card covers it
or that only the developer can fill it in (``TO_FILL``).

Split from ``bundle.model_card`` (which re-exports these) to keep each module small.
"""

from __future__ import annotations

TO_FILL = "**to fill**"

# (item, topic, where this card covers it or None when the developer must fill it in)
TRIPOD_AI_ITEMS: tuple[tuple[str, str, str | None], ...] = (
    ("1", "Title: development/evaluation of a prediction model, population, outcome", None),
    ("2", "Abstract", None),
    ("3a-c", "Background: healthcare context, rationale, known models", None),
    ("4", "Objectives, including intended use and users", "Intended use"),
    ("5a", "Data sources", "Data"),
    ("5b", "Dates of data collection", None),
    ("6a-c", "Setting, eligibility criteria, treatments received", None),
    ("7", "Data preparation (pre-processing, quality checks)", "Model; Data (duplicates)"),
    ("8a", "Outcome definition and timing", "Outcome"),
    ("8b-c", "Outcome assessment: who, blinding", None),
    ("9a-c", "Predictors: choice, definition, assessment", "Model (input: the image)"),
    ("10", "Sample size", "Data"),
    ("11", "Missing data", None),
    ("12a", "Use of the data: development, validation, test", "Data"),
    ("12b", "Handling of predictors (pre-processing)", "Model"),
    ("12c", "Model type, building, hyperparameter choice, internal validation", "Model; Training"),
    ("12d", "Heterogeneity across clusters (e.g. sites)", "Subgroups (when attributes were given)"),
    ("12e", "Performance measures, including calibration", "Performance; Calibration"),
    ("12f", "Model updating / recalibration", "Calibration (temperature on validation)"),
    ("13", "Class imbalance handling", "Training"),
    ("14", "Fairness", "Subgroups"),
    ("15", "Model output and decision threshold", "Operating point"),
    ("16", "Differences between development and evaluation data", "Limitations"),
    ("17", "Ethical approval", None),
    ("18a-f", "Funding, conflicts, protocol, registration, data and code availability", None),
    ("19", "Patient and public involvement", None),
    ("20a", "Flow of participants, numbers per split", "Data"),
    ("20b-c", "Participant characteristics, development vs evaluation", None),
    ("21", "Number of participants and outcome events in each analysis", "Data"),
    ("22", "Full model specification", "Model (weights in this bundle)"),
    ("23a", "Model performance with confidence intervals", "Performance"),
    ("23b", "Performance in key subgroups", "Subgroups"),
    ("24", "Model updating results", None),
    ("25", "Interpretation", None),
    ("26", "Limitations", "Limitations (found automatically; add your own)"),
    ("27a-c", "Usability: poor-quality input, users' expertise, future research", None),
)


def _checklist() -> list[str]:
    lines = ["## TRIPOD+AI checklist", "", "| item | topic | in this card |", "|---|---|---|"]
    for item, topic, where in TRIPOD_AI_ITEMS:
        lines.append(f"| {item} | {topic} | {where or TO_FILL} |")
    lines += ["", "Items marked to fill are for the developer to add before publication (Collins et al., "
              "BMJ 2024;385:e078378)."]
    return lines
