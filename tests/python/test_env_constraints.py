"""Env-declared safety constraints: with the default guardrails, a step costs 1 while the
env's constraint is violated (CartPole: cart outside the middle half of the track; Lander:
hull tilted past 0.4 rad), reported in info["cost"] and never ending the episode; with
guardrails off there is no cost."""

from __future__ import annotations

import numpy as np
import sandpit


def test_lander_tilt_costs_while_violated(endpoint):
    env = sandpit.make("Lander-v0", endpoint, seed=2)
    obs, _ = env.reset(seed=2)
    costs, angles = [], []
    for _ in range(60):
        obs, _, term, trunc, info = env.step(1)  # fire_left: the craft turns
        costs.append(info["cost"])
        angles.append(float(obs[4]))
        if term or trunc:
            break
    env.close()
    expected = [1.0 if abs(a) > 0.4 else 0.0 for a in angles]
    assert costs == expected
    assert sum(costs) > 0, "the craft never tilted past the limit: the test proves nothing"


def test_cartpole_zone_costs_and_guardrails_off_has_none(endpoint):
    env = sandpit.make("CartPoleContinuous-v0", endpoint, seed=0, max_steps=200)
    off = sandpit.make("CartPoleContinuous-v0", endpoint, seed=0, max_steps=200, guardrails=False)
    env.reset(seed=0)
    off.reset(seed=0)
    push = np.array([10.0], np.float32)
    seen = []
    for _ in range(200):
        obs, _, term, trunc, info = env.step(push)
        obs_off, _, _, _, info_off = off.step(push)
        assert np.array_equal(obs, obs_off)  # the constraint changes nothing in the episode
        assert "cost" not in info_off
        seen.append((abs(float(obs[0])) > 1.2, info["cost"]))
        if term or trunc:
            break
    env.close()
    off.close()
    assert all((c == 1.0) == out for out, c in seen)
