"""The membership attack's arithmetic on hand-made scores with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from meddx.privacy.audit import attack_metrics, per_sample_loss


def test_per_sample_loss_is_the_cross_entropy_of_the_true_class() -> None:
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    assert per_sample_loss(np.array([0, 0, 1]), probs, "binary") == pytest.approx(
        [-math.log(0.9), -math.log(0.2), -math.log(0.5)])
    multi = np.array([[0.9, 0.2]])
    assert per_sample_loss(np.array([[1, 0]]), multi, "multilabel") == pytest.approx([-math.log(0.9) - math.log(0.8)])


def test_separable_scores_give_a_perfect_attack() -> None:
    out = attack_metrics(np.linspace(2, 3, 50), np.linspace(0, 1, 50), n_resamples=50)
    assert out["auc"]["estimate"] == 1.0 and out["advantage"] == 1.0
    assert out["tpr_at_fpr"] == {"0.001": 1.0, "0.01": 1.0}
    assert "below 1/50" in out["notes"][0]  # FPR 0.1% cannot be resolved with 50 non-members


def test_tpr_at_low_fpr_by_hand() -> None:
    # 200 non-members at 0..199; members: 3 above every non-member, 1 between the top two
    # non-members, the rest low. FPR 0.5% (1 of 200) is allowed at the 1% target: TPR 4/10.
    nonmembers = np.arange(200, dtype=float)
    members = np.array([300, 301, 302, 198.5, 1, 2, 3, 4, 5, 6], dtype=float)
    out = attack_metrics(members, nonmembers, n_resamples=0)
    assert out["tpr_at_fpr"]["0.001"] == pytest.approx(0.3)
    assert out["tpr_at_fpr"]["0.01"] == pytest.approx(0.4)
    assert out["auc"]["ci"] is None


def test_indistinguishable_scores_give_auc_near_a_half_with_a_covering_interval() -> None:
    rng = np.random.default_rng(0)
    out = attack_metrics(rng.normal(size=400), rng.normal(size=400), n_resamples=200)
    lo, hi = out["auc"]["ci"]
    assert abs(out["auc"]["estimate"] - 0.5) < 0.05 and lo < 0.5 < hi


def test_dp_bound_from_epsilon_and_delta() -> None:
    out = attack_metrics(np.arange(10.0), np.arange(10.0) + 0.5, n_resamples=0, epsilon=1.0, delta=1e-5)
    bound = out["dp_bound"]
    assert bound["tpr_at_fpr"]["0.01"] == pytest.approx(math.e * 0.01 + 1e-5)
    assert bound["advantage"] == pytest.approx((math.e - 1 + 2e-5) / (math.e + 1))


def test_balanced_indices_match_the_label_mix_of_both_sides() -> None:
    from meddx.privacy.audit import balanced_indices

    members = ["1"] * 300 + ["0"] * 100  # 75% positive, like a training split
    nonmembers = ["1"] * 60 + ["0"] * 40  # 60% positive, like a shifted test split
    m, h = balanced_indices(members, nonmembers, None, np.random.default_rng(0))
    assert len(m) == len(h) == 100 and len(set(m)) == 100
    assert sorted(members[i] for i in m) == sorted(nonmembers[i] for i in h)  # same mix: 60 + 40
    m, h = balanced_indices(members, nonmembers, 50, np.random.default_rng(0))
    assert len(m) == len(h) == 50 and sum(members[i] == "1" for i in m) == 30


def test_n_draws_exactly_n_per_side_when_the_labels_do_not_divide_it() -> None:
    from meddx.privacy.audit import balanced_indices

    members = ["a"] * 90 + ["b"] * 90 + ["c"] * 90
    nonmembers = ["a"] * 50 + ["b"] * 50 + ["c"] * 50
    m, h = balanced_indices(members, nonmembers, 100, np.random.default_rng(0))  # 33.3 per label
    assert len(m) == len(h) == 100  # rounding each label down drew 99
    assert sorted(members[i] for i in m) == sorted(nonmembers[i] for i in h)


def test_a_split_the_training_data_lacks_is_refused_naming_the_flag() -> None:
    from types import SimpleNamespace

    from meddx.core.errors import ConfigError
    from meddx.privacy.audit import _resolve

    table = SimpleNamespace(name="diabetes", splits={"train": None, "val": None})
    with pytest.raises(ConfigError, match=r"^--holdout test: .*'diabetes' has no 'test' split \(it has train, val\); "
                                          r"use --holdout val"):
        _resolve("test", table, lambda spec: None, "--holdout")
    assert _resolve("val", table, lambda spec: None, "--holdout")[1] == ["val"]
