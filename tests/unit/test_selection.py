"""Input selection: the LSA adaptive lasso against closed forms and KKT conditions, and its use in training."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from genolens.modeling.evaluate import fit_logistic
from genolens.modeling.logistic import sigmoid
from genolens.modeling.networks import NetworkConfig, ResponseNet, RiskNet, restrict_genetic
from genolens.modeling.selection import information, lsa_lasso, select_inputs


def test_diagonal_information_gives_the_soft_threshold() -> None:
    rng = np.random.default_rng(0)
    b = rng.normal(size=8)
    h = np.diag(rng.uniform(0.5, 3.0, size=8))
    penalty = np.array([0.0, 1.0, 1.0, 2.0, 0.5, 1.0, 3.0, 0.0])
    for lam in (0.1, 0.7, 2.5):
        want = np.sign(b) * np.maximum(np.abs(b) - lam * penalty / np.diag(h), 0.0)  # closed form
        np.testing.assert_allclose(lsa_lasso(b, h, penalty, lam), want, atol=1e-12)


def test_correlated_information_meets_the_kkt_conditions() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 10))
    h = a.T @ a + np.eye(10)  # positive definite, correlated coordinates
    b = rng.normal(size=10)
    penalty = np.r_[0.0, np.ones(9)]
    lam = 0.3 * float(np.max(np.abs(h @ b)))  # a third of the way to dropping everything
    beta = lsa_lasso(b, h, penalty, lam)
    grad = h @ (beta - b)
    on = beta != 0
    assert 0 < on[1:].sum() < 9  # the penalty both keeps and drops something here
    np.testing.assert_allclose(grad[on], -lam * penalty[on] * np.sign(beta[on]), atol=1e-7)
    assert np.all(np.abs(grad[~on]) <= lam * penalty[~on] + 1e-7)


def _cohort(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dosages of 5 causal SNPs, an LD copy of the first (10% of genotypes redrawn) and 24 nulls."""
    rng = np.random.default_rng(seed)
    g = rng.binomial(2, 0.3, size=(n, 30)).astype(np.float64)
    flip = rng.random(n) < 0.1
    g[:, 5] = np.where(flip, rng.binomial(2, 0.3, size=n), g[:, 0])  # neighbour of SNP 0, no effect of its own
    beta = np.zeros(30)
    beta[:5] = [0.3, -0.2, 0.15, 0.1, 0.08]
    y = (rng.random(n) < sigmoid(-2.0 + g @ beta)).astype(np.float64)
    return g, y, beta


@pytest.mark.slow  # fits a logistic model on a cohort
def test_selection_keeps_the_causal_snps_and_drops_most_nulls_and_the_ld_neighbour() -> None:
    kept = []
    for seed in range(3, 9):  # selection is a statistical decision: judge it over several cohorts
        g, y, _ = _cohort(200_000, seed=seed)
        z = (g - g.mean(axis=0)) / g.std(axis=0)
        b = fit_logistic(z, y, ridge=1.0)
        keep, lam = select_inputs(b, information(z, b), n_genetic=30)
        assert lam > 0
        kept.append(keep)
    k = np.array(kept)  # (6 cohorts, 30)
    assert k[:, :5].all()  # every causal SNP, every time
    assert k[:, 5].sum() <= 2  # the LD copy of SNP 0 has no effect of its own: mostly dropped
    assert k[:, 6:].mean() <= 0.3  # AIC keeps some nulls by chance (about 1 in 6 each), not most


@pytest.mark.slow  # fits a logistic model on a cohort
def test_nothing_is_kept_when_no_snp_matters() -> None:
    rng = np.random.default_rng(4)
    g = rng.binomial(2, 0.4, size=(50_000, 12)).astype(np.float64)
    y = (rng.random(50_000) < 0.2).astype(np.float64)
    z = (g - g.mean(axis=0)) / g.std(axis=0)
    b = fit_logistic(z, y, ridge=1.0)
    keep, _ = select_inputs(b, information(z, b), n_genetic=12)
    assert keep.sum() <= 4


@pytest.mark.parametrize("kind", ["risk", "response"])
def test_a_dropped_input_no_longer_moves_its_output(kind: str) -> None:
    torch.manual_seed(0)
    cfg = NetworkConfig(kind=kind, n_genetic=6, n_covariates=2, n_outputs=2)  # type: ignore[arg-type]
    net = RiskNet(cfg) if kind == "risk" else ResponseNet(cfg)
    keep = torch.tensor([[True, True, False, True, False, False], [True, False, False, True, True, False]])
    restrict_genetic(net, keep)
    x = torch.rand(4, 8)
    for j in range(6):
        moved = x.clone()
        moved[:, j] += 1.0
        with torch.no_grad():
            delta = (net(moved) - net(x)).abs().amax(dim=0)  # (n_outputs,)
        for k in range(2):
            if not keep[:, j].any():
                assert float(delta[k]) == 0.0  # read by no output: no path left at all
            elif not keep[k, j] and kind == "risk":
                assert float(delta[k]) > 0.0  # another output keeps it: the shared path still reads it
    covariate = x.clone()
    covariate[:, 6] += 1.0
    with torch.no_grad():
        assert (net(covariate) - net(x)).abs().max() > 0  # covariates are never dropped


@pytest.mark.slow  # trains a model
def test_a_trained_ensemble_gives_unselected_snps_exactly_zero_weight_and_attribution() -> None:
    from genolens.datamodel import Baseline
    from genolens.explain.attribution import attribute
    from genolens.modeling.train import train_cohort
    from genolens.modeling.train_config import TrainConfig
    from genolens.modeling.training_data import Cohort

    g, y, _ = _cohort(120_000, seed=5)
    cohort = Cohort(samples=tuple(f"s{i}" for i in range(len(y))), genetic=g, covariates=np.zeros((len(y), 0)),
                    outcomes=y[:, None], ancestry=None, genetic_names=tuple(f"rs{i}" for i in range(30)),
                    covariate_names=(), outcome_names=("y_toy",), build="GRCh38")
    cfg = TrainConfig(members=2, batch_size=2048, lr=1e-2, epochs=3, patience=2, interaction_inputs=4, seed=0)
    result = train_cohort(cohort, cfg)
    n_kept = result.selected["y_toy"]
    assert 5 <= n_kept < 30
    add = torch.stack([m.additive.weight[0] for m in result.ensemble.members])  # (members, 30)
    dropped = (add == 0).all(dim=0)
    assert int((~dropped).sum()) == n_kept and not dropped[:5].any()
    base = Baseline(kind="population_average", values=g.mean(axis=0), samples=None, caption="average person")
    attribution = attribute(result.ensemble, g[0] + 0.0, method="ig", baseline=base, target=0)
    assert np.all(attribution.values[dropped.numpy()] == 0.0)  # no path reads them: exactly nothing to credit
    unselected = train_cohort(cohort, replace(cfg, select=False))
    assert unselected.selected["y_toy"] == 30


def _interaction_cohort(n: int, seed: int, beta_ab: float) -> tuple[np.ndarray, np.ndarray]:
    """Twelve dosages; inputs 0 and 1 have main effects, 4 and 9 none but (if ``beta_ab``) a centred product."""
    rng = np.random.default_rng(seed)
    freq = rng.uniform(0.2, 0.5, size=12)
    g = rng.binomial(2, freq, size=(n, 12)).astype(np.float64)
    c = g - 2 * freq
    logit = -2.5 + 0.3 * c[:, 0] - 0.2 * c[:, 1] + beta_ab * c[:, 4] * c[:, 9]
    return g, rng.binomial(1, sigmoid(logit)).astype(np.float64)[:, None]


def _screen(g: np.ndarray, y: np.ndarray, *, most: int = 0) -> np.ndarray:
    from genolens.modeling.selection import interacting_inputs

    z = (g - g.mean(axis=0)) / g.std(axis=0)
    beta = fit_logistic(z, y[:, 0])[None, :]  # (1, 1 + 12): the linear fit the screen starts from
    return interacting_inputs(z, y, beta, np.ones((1, 12), dtype=bool), alpha=0.05, most=most)


def test_the_interaction_screen_finds_a_pair_without_main_effects_and_nothing_else() -> None:
    g, y = _interaction_cohort(40_000, seed=3, beta_ab=0.5)
    assert np.flatnonzero(_screen(g, y)).tolist() == [4, 9]  # not 0 and 1, the largest main effects
    assert not _screen(g, y, most=1).any()  # the cap: a pair would take two


def test_the_interaction_screen_keeps_nothing_without_an_interaction() -> None:
    g, y = _interaction_cohort(40_000, seed=3, beta_ab=0.0)
    assert not _screen(g, y).any()


def test_the_interaction_screen_leaves_out_a_neighbour_in_ld_with_an_interacting_variant() -> None:
    g, y = _interaction_cohort(40_000, seed=4, beta_ab=0.5)
    rng = np.random.default_rng(5)
    proxy = np.where(rng.random(len(g)) < 0.1, rng.binomial(2, 0.35, size=len(g)), g[:, 4])  # r ~ 0.9 with input 4
    g[:, 10] = proxy
    z = (g - g.mean(axis=0)) / g.std(axis=0)
    p = sigmoid(fit_logistic(z, y[:, 0])[0] + z @ fit_logistic(z, y[:, 0])[1:])
    pair = (z[:, 10] * z[:, 9]) @ (y[:, 0] - p) / np.sqrt((z[:, 10] ** 2 * z[:, 9] ** 2) @ (p * (1 - p)))
    assert abs(pair) > 6  # the proxy's own pair passes on its own ...
    assert np.flatnonzero(_screen(g, y)).tolist() == [4, 9]  # ... but not once the true pair is in the fit
