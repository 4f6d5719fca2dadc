"""Shapley value sampling under concurrency: the same call gives the same numbers in any thread.

The dashboard serves many sessions from one process; each explanation runs in its session's thread.
Shapley sampling's permutations once came from torch's global generator, seeded and restored around
the call, so two sessions (or any other code drawing from torch's generator meanwhile) changed each
other's permutations. These tests run the same explanation in several threads at once, with a
thread drawing from torch's global generator all along, and hold every result bit-identical to the
single-threaded one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from genolens.datamodel import Baseline
from genolens.explain.attribution import attribute
from genolens.modeling.networks import Ensemble, NetworkConfig

THREADS = 4
ROUNDS = 3


def interacting_ensemble() -> Ensemble:
    """SiLU members with interactions, so that different permutations give different Shapley values."""
    cfg = NetworkConfig(kind="risk", n_genetic=10, n_covariates=2, n_outputs=2, hidden=8, members=2)
    ens = Ensemble(cfg, seed=5)
    ens.set_calibration(torch.tensor([1.3, 0.7]), torch.tensor([-0.2, 0.1]))
    return ens.freeze()


def explain_once(ens: Ensemble) -> np.ndarray:
    x = np.array([2, 0, 1, 1, 2, 0, 1, 2, 0, 1, 55.0, 27.5])
    base = Baseline("relative", np.ones(12), None, "a test point")
    a = attribute(ens, x, method="shapley_sampling", baseline=base, target=0, n_steps=6, seed=11)
    return np.asarray(a.member_values)


@pytest.fixture()
def busy_switching() -> Iterator[None]:
    """Switch threads as often as Python allows, so that a shared-RNG race shows up at once."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def test_permutations_differ_between_seeds_so_the_check_can_fail() -> None:
    ens = interacting_ensemble()
    x = np.array([2, 0, 1, 1, 2, 0, 1, 2, 0, 1, 55.0, 27.5])
    base = Baseline("relative", np.ones(12), None, "a test point")
    one = attribute(ens, x, method="shapley_sampling", baseline=base, target=0, n_steps=6, seed=11)
    two = attribute(ens, x, method="shapley_sampling", baseline=base, target=0, n_steps=6, seed=12)
    assert not np.array_equal(one.member_values, two.member_values)


def test_concurrent_shapley_runs_equal_the_single_threaded_run(busy_switching: None) -> None:
    ens = interacting_ensemble()
    alone = explain_once(ens)
    stop = threading.Event()

    def draw_forever() -> int:
        n = 0
        while not stop.is_set():
            torch.rand(3)
            n += 1
        return n

    with ThreadPoolExecutor(max_workers=THREADS + 1) as pool:
        drawer = pool.submit(draw_forever)
        try:
            for _ in range(ROUNDS):
                results = list(pool.map(lambda _: explain_once(ens), range(THREADS)))
                for result in results:
                    np.testing.assert_array_equal(result, alone)
        finally:
            stop.set()
        assert drawer.result() > 0
    np.testing.assert_array_equal(explain_once(ens), alone)


def test_shapley_leaves_torch_global_generator_alone() -> None:
    torch.manual_seed(123)
    expected = torch.rand(5)
    torch.manual_seed(123)
    explain_once(interacting_ensemble())
    assert torch.equal(torch.rand(5), expected)


def test_randomisation_checks_at_once_with_gradient_shap_give_the_single_threaded_result(busy_switching: None) -> None:
    """The cumulative re-initialisations are drawn in the explain layer's one seeded section, so checks in
    several threads, while GradientShap (which seeds the global generators too) runs beside them, all equal
    the check run alone."""
    from genolens.explain.reliability import randomisation_check

    ens = interacting_ensemble()
    x = np.array([2, 0, 1, 1, 2, 0, 1, 2, 0, 1, 55.0, 27.5])
    base = Baseline("relative", np.ones(12), None, "a test point")
    alone = randomisation_check(ens, x, baseline=base, target=0, method="ig", seed=4).correlations
    other = randomisation_check(ens, x, baseline=base, target=0, method="ig", seed=5).correlations
    assert other != alone  # the seed changes the draws: the comparison below can fail

    samples = np.random.default_rng(0).integers(0, 3, (6, 12)).astype(float)
    distribution = Baseline("reference_distribution", samples.mean(axis=0), samples, "a test distribution")

    def shap() -> np.ndarray:
        return np.asarray(attribute(ens, x, method="gradient_shap", baseline=distribution, target=0, n_steps=8,
                                    seed=2).values)

    with ThreadPoolExecutor(THREADS + 2) as pool:
        for _ in range(ROUNDS):
            checks = [pool.submit(randomisation_check, ens, x, baseline=base, target=0, method="ig", seed=4)
                      for _ in range(THREADS)]
            shaps = [pool.submit(shap) for _ in range(2)]
            assert [c.result().correlations for c in checks] == [alone] * THREADS
            assert np.array_equal(shaps[0].result(), shaps[1].result())
