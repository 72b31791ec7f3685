"""The model card's "Privacy" (DP-SGD) and "Federated training" sections, from the bundle config.

Split from ``bundle.model_card`` (which re-exports both) to keep each module small.
"""

from __future__ import annotations

from typing import Any

from meddx.evaluation.report_format import text_number as _fmt


def _privacy_section(privacy: dict[str, Any] | None) -> list[str]:
    """Differential privacy of a DP-SGD run (``config["privacy"]``): epsilon spent, accounting, scope."""
    if not privacy:
        return []
    target = privacy.get("target_epsilon")
    lines = ["## Privacy",
             f"- Trained with {privacy['mechanism']} ({privacy['library']}): ({privacy['epsilon']:.3f}, "
             f"{privacy['delta']:g})-differential privacy, {privacy['accountant'].upper()} accountant"
             + (f", target epsilon {target:g}." if target is not None else " (noise multiplier given, no target)."),
             f"- Noise multiplier {privacy['noise_multiplier']:.4f} ({privacy.get('noise_chosen', '')}), per-sample "
             f"gradient clipping norm {privacy['max_grad_norm']:g}, Poisson sampling rate {privacy['sample_rate']:.4g} "
             f"(expected batch {privacy.get('expected_batch_size')}), {privacy['steps']} noisy steps over "
             f"{privacy['epochs']} epoch(s).",
             "- Epsilon after each epoch: " + ", ".join(f"{e['epoch']}: {e['epsilon']:.3f}"
                                                        for e in privacy.get("per_epoch", [])) + "."]
    if privacy.get("stopped_early"):
        lines.append(f"- Training {privacy['stopped_early']}.")
    if privacy.get("replaced_layers"):
        lines.append(f"- Layers replaced for per-sample gradients: {'; '.join(privacy['replaced_layers'])}.")
    lines += [f"- {note}." for note in privacy.get("notes", [])]
    lines += ["- The guarantee is per training sample: a patient with k samples in the training data is protected "
              "at k times epsilon (group privacy). Validation (epoch and threshold choice) and test data are not "
              "covered by it.", ""]
    return lines


def _federated_section(cfg: dict[str, Any]) -> list[str]:
    """How a federated run trained the model (``config["federated"]``, written by meddx.federated)."""
    fed = cfg.get("federated")
    if not fed:
        return []
    sizes = fed.get("site_sizes") or {}
    sites = ", ".join(f"{n} (train {sizes[n]['train']}, val {sizes[n]['val']})" if n in sizes else str(n)
                      for n in fed.get("site_names", []))
    mu = f" (mu = {fed['mu']})" if fed.get("mu") is not None else ""
    dp = fed.get("differential_privacy")
    return ["## Federated training",
            f"- {fed['framework']}: {fed['sites']} sites ({sites}); partition: {fed['partition']}.",
            f"- Strategy {fed['strategy']}{mu}; {fed['rounds']} rounds x {fed['local_epochs']} local epoch(s), "
            f"{fed['optimizer']} lr {fed['lr']}, batch {fed['batch_size']}; sites sent weights only.",
            f"- Input normalisation: {fed['normalisation']} (the statistics line above does not apply).",
            f"- Model: {fed['model_selection']}; per-round AUC in {fed['per_round']}.",
            f"- Evaluation data held by the coordinator: {fed.get('evaluation_data') or 'none (not evaluated)'}.",
            f"- Differential privacy: {_dp_text(dp) if dp else 'none'}.", ""]


def _dp_text(dp: dict[str, Any]) -> str:
    """A federated run's DP as recorded: server-side DP has no accountant, so its own record says why no epsilon
    is claimed; client DP gives each site's noise multiplier, sample rate, steps and epsilon (to recompute it)."""
    if dp.get("where") == "server":
        return (f"{dp['method']}; noise multiplier {dp['noise_multiplier']}, clipping norm {dp['clipping_norm']}, "
                f"{dp.get('sites_per_round')} sites per round, noise std {_fmt(dp.get('noise_std'))}, "
                f"{dp.get('rounds')} rounds. Level: {dp.get('level')}. Epsilon: {dp.get('accounting')}. "
                f"Not covered: {dp.get('not_covered')}")
    noise = dp["noise_multiplier"] if dp.get("noise_multiplier") is not None else \
        f"chosen for target epsilon {dp.get('target_epsilon')}"
    rates, steps = dp.get("sample_rate_per_site") or {}, dp.get("steps_per_site") or {}
    used = "; per site (noise multiplier, Poisson sample rate, noisy steps): " + ", ".join(
        f"{k} ({_fmt(v)}, {_fmt(rates.get(k))}, {steps.get(k)})"
        for k, v in (dp.get("noise_multiplier_per_site") or {}).items())
    spent = dp.get("epsilon_per_site") or {}
    eps = (f"; epsilon spent ({str(dp.get('accountant') or 'rdp').upper()} accountant, delta {dp.get('delta')}) "
           + ", ".join(f"{k} {_fmt(v)}" for k, v in spent.items()))
    return (f"{dp['method']}: noise multiplier {noise}, clipping norm {dp['clipping_norm']}"
            f"{used if dp.get('noise_multiplier_per_site') else ''}{eps if spent else ''}")
