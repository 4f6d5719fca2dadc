"""Networks: shapes, the additive path as a closed form, heads per drug, calibrated ensemble."""

from __future__ import annotations

import pytest
import torch

from genolens.modeling.networks import Ensemble, NetworkConfig, ResponseNet, RiskNet, build_member
from tests.factories import assert_close_f32


def risk_cfg(**kw: int) -> NetworkConfig:
    return NetworkConfig(kind="risk", n_genetic=kw.get("g", 6), n_covariates=kw.get("c", 2),
                         n_outputs=kw.get("o", 1), hidden=8, members=kw.get("m", 3))


def test_risk_net_with_silent_paths_is_the_linear_formula() -> None:
    torch.manual_seed(1)
    net = RiskNet(risk_cfg())
    with torch.no_grad():
        net.interaction_out.weight.zero_()
        net.scale.mean.copy_(torch.arange(8.0))
        net.scale.scale.copy_(torch.full((8,), 2.0))
    x = torch.randn(5, 8)
    z = (x - torch.arange(8.0)) / 2.0
    expected = z[:, :6] @ net.additive.weight.T + net.additive.bias + z[:, 6:] @ net.covariate.weight.T  # type: ignore[union-attr]
    assert_close_f32(net(x), expected)


def test_warm_start_is_the_linear_logistic_model() -> None:
    ens = Ensemble(risk_cfg(o=2, m=2), seed=0)
    ens.set_standardisation(torch.full((8,), 1.0), torch.full((8,), 0.5))
    coef, intercept = torch.randn(2, 8), torch.tensor([-1.0, 0.5])
    ens.warm_start(intercept, coef)
    x = torch.randn(4, 8)
    expected = intercept + ((x - 1.0) / 0.5) @ coef.T  # (batch, outputs)
    assert_close_f32(ens.member_logits(x), expected.expand(2, 4, 2))
    resp = Ensemble(NetworkConfig(kind="response", n_genetic=5, n_covariates=3, n_outputs=2, members=2))
    resp.warm_start(intercept, coef)
    assert_close_f32(resp(x), intercept + x @ coef.T)


def test_warm_start_of_one_member_leaves_the_others() -> None:
    ens = Ensemble(risk_cfg(m=3), seed=0)
    before = {k: v.clone() for k, v in ens.state_dict().items()}
    ens.warm_start(torch.tensor([0.5]), torch.randn(1, 8), member=1)
    after = ens.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if not k.startswith("members.1."))
    assert not torch.equal(before["members.1.additive.weight"], after["members.1.additive.weight"])
    assert torch.count_nonzero(after["members.1.interaction_out.weight"]) == 0


def test_silenced_inputs_do_not_move_any_output() -> None:
    for cfg in (risk_cfg(o=2), NetworkConfig(kind="response", n_genetic=6, n_covariates=2, n_outputs=3)):
        ens = Ensemble(cfg, seed=1)
        mask = torch.zeros(8, dtype=torch.bool)
        mask[[1, 7]] = True
        ens.silence_inputs(mask)
        x = torch.randn(5, 8)
        moved = x.clone()
        moved[:, [1, 7]] += 100.0
        assert_close_f32(ens(x), ens(moved))
        assert not torch.allclose(ens(x), ens(x + 1.0))


def test_interaction_path_is_not_additive() -> None:
    torch.manual_seed(2)
    net = RiskNet(risk_cfg(c=0))
    x = torch.zeros(4, 6)
    x[1, 0] = x[3, 0] = 2.0
    x[2, 1] = x[3, 1] = 2.0
    with torch.no_grad():
        f = net(x)[:, 0]
    assert abs(float(f[3] - f[2] - f[1] + f[0])) > 1e-4  # the MLP makes f(a+b) != f(a) + f(b) - f(0)


def test_response_net_has_one_independent_head_per_drug() -> None:
    torch.manual_seed(3)
    net = ResponseNet(NetworkConfig(kind="response", n_genetic=5, n_covariates=1, n_outputs=3, hidden=4))
    x = torch.randn(7, 6)
    before = net(x)
    assert before.shape == (7, 3)
    with torch.no_grad():
        net.heads[1].weight.add_(1.0)
        after = net(x)
    assert torch.equal(after[:, [0, 2]], before[:, [0, 2]])
    assert not torch.allclose(after[:, 1], before[:, 1])


def test_ensemble_forward_is_the_calibrated_mean_of_members() -> None:
    ens = Ensemble(risk_cfg(o=2, m=4), seed=5)
    ens.set_calibration(torch.tensor([2.0, 0.5]), torch.tensor([1.0, -1.0]))
    x = torch.randn(3, 8)
    raw = torch.stack([m(x) for m in ens.members])  # (members, batch, outputs)
    assert ens.member_logits(x).shape == (4, 3, 2)
    assert_close_f32(ens(x), raw.mean(0) * torch.tensor([2.0, 0.5]) + torch.tensor([1.0, -1.0]))


def test_ensemble_members_are_seeded_and_differ() -> None:
    a, b, c = Ensemble(risk_cfg(), seed=1), Ensemble(risk_cfg(), seed=1), Ensemble(risk_cfg(), seed=2)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(sa["members.0.additive.weight"], sc["members.0.additive.weight"])
    assert not torch.equal(sa["members.0.additive.weight"], sa["members.1.additive.weight"])


def test_freeze_gives_inference_only_model() -> None:
    ens = Ensemble(risk_cfg()).freeze()
    assert not ens.training
    assert not any(p.requires_grad for p in ens.parameters())


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="Choose from: risk, response, linear"):
        build_member(NetworkConfig(kind="deep", n_genetic=1, n_covariates=0, n_outputs=1))  # type: ignore[arg-type]
