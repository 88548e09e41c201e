"""Guardrails through the socket: every guardrail and policy with its exact reason in
info["guardrail"], constraint cost, reset overrides, refused configs, stats, and guardrails
that never trip leaving trajectories unchanged."""

from __future__ import annotations

import numpy as np
import pytest
import sandpit
from sandpit import ServerError

CONT = "CartPoleContinuous-v0"  # one actuator, cart.force in [-10, 10] N


@pytest.fixture
def make(endpoint):
    made = []

    def factory(env_id=CONT, vec=0, **kwargs):
        if vec:
            env = sandpit.make_vec(env_id, vec, endpoint, timeout=5.0, seed=0, **kwargs)
        else:
            env = sandpit.make(env_id, endpoint, timeout=5.0, seed=0, **kwargs)
        made.append(env)
        return env

    yield factory
    for env in made:
        env.close()


def act(*v):
    return np.array(v, dtype=np.float32)


def only_trip(info, reason, policy):
    trips = info["guardrail"]
    assert [t["reason"] for t in trips] == [reason], trips
    assert trips[0]["policy"] == policy
    return trips[0]


@pytest.mark.parametrize("policy", ["clip", "terminate"])
def test_bounds(make, policy):
    env = make(guardrails={"actuators": {"cart.force": {"bounds": policy}}})
    env.reset()
    _, _, term, _, info = env.step(act(25.0))
    t = only_trip(info, "action_out_of_bounds", policy)
    assert t["channel"] == "cart.force" and t["value"] == 25.0 and t["limit"] == 10.0
    assert term == (policy == "terminate")
    if term:
        assert info["reason"] == "action_out_of_bounds"


def test_bounds_reject_leaves_the_episode_untouched(make):
    env = make(guardrails={"actuators": {"*": {"bounds": "reject"}}}, hashes=True)
    _, info0 = env.reset()
    with pytest.raises(ServerError) as e:
        env.step(act(-11.0))
    assert e.value.code == "bad_action" and "cart.force" in e.value.message
    _, _, _, _, info = env.step(act(1.0))  # the next action is taken as if nothing happened
    ref = make(guardrails={"actuators": {"*": {"bounds": "reject"}}}, hashes=True)
    ref.reset()
    _, _, _, _, info_ref = ref.step(act(1.0))
    assert info["hash"] == info_ref["hash"]


def test_bounds_reject_in_a_batch_moves_no_env(make):
    envs = make(vec=2, guardrails={"actuators": {"*": {"bounds": "reject"}}}, hashes=True)
    _, info = envs.reset()
    with pytest.raises(ServerError) as e:
        envs.step(np.array([[1.0], [50.0]], np.float32))
    assert e.value.code == "bad_action" and "env 1" in e.value.message
    _, _, _, _, info2 = envs.step(np.array([[1.0], [1.0]], np.float32))
    assert "guardrail" not in info2


def test_nonfinite(make):
    env = make(guardrails={})
    env.reset()
    with pytest.raises(ServerError) as e:
        env.step(act(np.nan))
    assert e.value.code == "bad_action"
    env = make(guardrails={"actuators": {"*": {"nonfinite": "terminate"}}})
    env.reset()
    _, r, term, _, info = env.step(act(np.inf))
    assert term and r == 0.0 and info["reason"] == "action_nan"
    only_trip(info, "action_nan", "terminate")


@pytest.mark.parametrize("policy", ["clip", "reject", "terminate"])
def test_rate(make, policy):
    env = make(guardrails={"actuators": {"*": {"max_delta": 2.0, "rate": policy}}})
    env.reset()
    env.step(act(1.5))  # from rest (0): within 2
    if policy == "reject":
        with pytest.raises(ServerError) as e:
            env.step(act(9.0))
        assert e.value.code == "bad_action"
        return
    _, _, term, _, info = env.step(act(9.0))
    t = only_trip(info, "action_rate", policy)
    assert t["limit"] == 2.0 and t["value"] == pytest.approx(7.5)
    assert term == (policy == "terminate")


def test_rate_reject_is_refused_for_batches(make):
    with pytest.raises(ServerError) as e:
        make(vec=2, guardrails={"actuators": {"*": {"max_delta": 1.0, "rate": "reject"}}})
    assert e.value.code == "bad_request" and "rate" in e.value.message


@pytest.mark.parametrize("policy", ["terminate", "zero"])
def test_budget(make, policy):
    env = make(guardrails={"budget": "abs", "budget_limit": 0.5, "budget_policy": policy})
    env.reset()
    seen = None
    for _ in range(10):
        _, _, term, _, info = env.step(act(10.0))
        if "guardrail" in info:
            seen = info
            break
    assert seen is not None
    only_trip(seen, "action_budget", policy)
    assert term == (policy == "terminate")


def test_discrete_budget_counts_actions(make):
    env = make("CartPole-v0", guardrails={"budget": "actions", "budget_limit": 3})
    env.reset()
    for _ in range(3):
        _, _, term, _, info = env.step(1)
        assert not term and "guardrail" not in info
    _, _, term, _, info = env.step(1)
    assert term and info["reason"] == "action_budget"
    assert only_trip(info, "action_budget", "terminate")["channel"] is None


def test_wall_clock_truncates(make):
    env = make(guardrails={"wall_clock_s": 1e-9})
    env.reset()
    # The server ends the episode as soon as the reset's reply is out (its clock ran out at
    # once), whether or not a step comes: the first step reports that, unapplied.
    _, reward, term, trunc, info = env.step(act(0.0))
    assert trunc and not term and reward == 0.0 and info["reason"] == "wall_clock"
    only_trip(info, "wall_clock", "truncate")


def test_cpu_time_truncates(make):
    env = make(guardrails={"cpu_s": 1e-12})
    env.reset()
    _, _, _, trunc, info = env.step(act(0.0))
    assert trunc and info["reason"] == "cpu_time"
    only_trip(info, "cpu_time", "truncate")


@pytest.mark.parametrize("policy", ["count", "truncate"])
def test_step_compute(make, policy):
    env = make(guardrails={"step_compute_s": 1e-12, "step_compute": policy})
    env.reset()
    _, _, _, trunc, info = env.step(act(0.0))
    only_trip(info, "step_compute", policy)
    assert trunc == (policy == "truncate")


def test_physics_diverged(make):
    env = make("CartPole-v0", guardrails={"max_speed": 1e-9, "max_angular_speed": 1e-9})
    env.reset()
    obs, r, term, _, info = env.step(1)
    assert term and info["reason"] == "physics_diverged" and r == 0.0
    assert {t["reason"] for t in info["guardrail"]} == {"physics_diverged"}
    assert not obs.any()


@pytest.mark.parametrize("policy", ["count", "terminate"])
def test_constraint_cost(make, policy):
    c = {"sensor": "cart.x", "low": -1e-9, "high": 1e-9, "policy": policy}
    env = make("CartPole-v0", guardrails={"constraint": c})
    env.reset(seed=1)
    _, _, term, _, info = env.step(1)
    assert info["cost"] == 1.0
    only_trip(info, "constraint", policy)
    assert term == (policy == "terminate")
    env2 = make("CartPole-v0", guardrails={"constraint": {**c, "low": -100, "high": 100}})
    env2.reset(seed=1)
    _, _, _, _, info2 = env2.step(1)
    assert info2["cost"] == 0.0 and "guardrail" not in info2


def test_vector_info_convention(make):
    envs = make(vec=3, guardrails={"actuators": {"*": {"bounds": "terminate"}}})
    envs.reset()
    _, _, term, _, info = envs.step(np.array([[0.0], [20.0], [0.0]], np.float32))
    assert term.tolist() == [False, True, False]
    assert info["_guardrail"].tolist() == [False, True, False]
    assert info["guardrail"][1][0]["reason"] == "action_out_of_bounds"
    assert info["reason"][1] == "action_out_of_bounds"


def test_reset_options_override_one_episode(make):
    env = make(guardrails={})
    env.reset()
    _, _, term, _, info = env.step(act(20.0))
    assert not term and only_trip(info, "action_out_of_bounds", "clip")
    env.reset(options={"guardrails": {"actuators": {"*": {"bounds": "terminate"}}}})
    _, _, term, _, _ = env.step(act(20.0))
    assert term
    env.reset()  # a plain reset restores the session's own guardrails
    _, _, term, _, _ = env.step(act(20.0))
    assert not term


@pytest.mark.parametrize(
    "guardrails, where",
    [
        ({"max_speed": -1}, "guardrails.max_speed"),
        ({"max_sped": 1}, "guardrails.max_sped"),
        ({"actuators": {"wheel": {}}}, "guardrails.actuators.wheel"),
        ({"actuators": {"*": {"bounds": "zero"}}}, "guardrails.actuators.*.bounds"),
        ({"budget": "abs"}, "budget_limit"),
        ({"constraint": {"sensor": "nope"}}, "guardrails.constraint.sensor"),
    ],
)
def test_bad_guardrails_are_refused_naming_the_field(make, guardrails, where):
    with pytest.raises(ServerError) as e:
        make(guardrails=guardrails)
    assert e.value.code == "bad_request" and where in e.value.message


def test_never_tripping_guardrails_change_no_trajectory(make):
    on = {
        "actuators": {"*": {"max_delta": 1e6, "rate": "terminate", "bounds": "terminate"}},
        "budget": "square",
        "budget_limit": 1e12,
        "cpu_s": 1e6,
        "step_compute_s": 1e6,
    }
    a, b = make(guardrails=on), make()
    rng = np.random.default_rng(0)
    for env in (a, b):
        env.reset(seed=5)
    for _ in range(60):
        u = act(rng.uniform(-10, 10))
        ra, rb = a.step(u), b.step(u)
        np.testing.assert_array_equal(ra[0], rb[0])
        assert ra[1:4] == rb[1:4] and "guardrail" not in ra[4]
        if ra[2] or ra[3]:
            a.reset()
            b.reset()


def test_stats_count_trips_by_reason(make, endpoint):
    env = make(guardrails={"actuators": {"*": {"bounds": "clip"}}})
    before = env.client.request("stats")["guardrail_trips"]
    env.reset()
    env.step(act(30.0))
    env.step(act(-30.0))
    after = env.client.request("stats")["guardrail_trips"]
    assert after["action_out_of_bounds"] - before["action_out_of_bounds"] == 2
    assert set(after) >= {"wall_clock", "physics_diverged", "constraint"}
