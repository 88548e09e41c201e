"""RLlib PPO on sandpit's CartPole-v0 through RLlib's env runners.

    python examples/rllib_ppo_cartpole.py                       # sandpit/CartPole-v0
    python examples/rllib_ppo_cartpole.py --env-id CartPole-v1  # Gymnasium's, for comparison

Each env runner makes its envs with `gym.make_vec(..., vectorization_mode="vector_entry_point")`,
which for sandpit is one batched session per runner (`sandpit.make_vec`): all of a runner's
envs step in one message. The env is registered with Tune under a name, so runners on other
processes or machines build it from the creator below (run a server per machine and pass its
`endpoint` in `env_config` to point them at it). Hyperparameters are RLlib's tuned CartPole
example. Training stops once the mean return of the last 100 episodes (RLlib's
`episode_return_mean`) reaches `--stop-return` (475, CartPole's "solved"), as RLlib's own
tuned examples stop on a return, or at `--steps` (200k; it reaches 475 near 100k). Prints one
JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
from ray.tune.registry import register_env


def sandpit_env(config: dict[str, Any]):
    """RLlib's env creator: a vector env when RLlib asks for `num_envs`, else a single env."""
    import sandpit  # imported in each env runner's process

    config = dict(config)
    env_id = config.pop("id", "CartPole-v0")
    if "num_envs" in config:
        return sandpit.make_vec(env_id, config.pop("num_envs"), **config)
    return sandpit.make(env_id, **config)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env-id", default="sandpit/CartPole-v0")
    p.add_argument("--steps", type=int, default=200_000, help="the most env steps to train")
    p.add_argument("--stop-return", type=float, default=475.0)
    p.add_argument("--env-runners", type=int, default=1)
    p.add_argument("--envs-per-runner", type=int, default=8)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)

    if args.env_id.startswith("sandpit/"):
        register_env("sandpit", sandpit_env)
        env, env_config = "sandpit", {"id": args.env_id.split("/", 1)[1]}
        vectorize = "vector_entry_point"
    else:
        env, env_config, vectorize = args.env_id, {}, "sync"
    config = (
        PPOConfig()
        .environment(env, env_config=env_config)
        .env_runners(
            num_env_runners=args.env_runners,
            num_envs_per_env_runner=args.envs_per_runner,
            gym_env_vectorize_mode=vectorize,
        )
        .training(lr=3e-4, num_epochs=6, vf_loss_coeff=0.01)
        .rl_module(
            model_config=DefaultModelConfig(
                fcnet_hiddens=[32], fcnet_activation="linear", vf_share_layers=True
            )
        )
        .debugging(seed=args.seed)
    )
    algo = config.build_algo()
    start = time.perf_counter()
    steps, ret = 0, float("nan")
    while steps < args.steps and not ret >= args.stop_return:
        result = algo.train()
        steps = int(result["env_runners"]["num_env_steps_sampled_lifetime"])
        ret = float(result["env_runners"].get("episode_return_mean", float("nan")))
        print(f"steps {steps:>7}  return {ret:6.1f}", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start
    algo.stop()
    ray.shutdown()
    print(json.dumps({
        "library": "RLlib", "algorithm": "PPO", "env": args.env_id, "steps": steps,
        "wall_s": round(wall, 1), "train_return": round(ret, 1), "eval_return": None,
    }))


if __name__ == "__main__":
    main()
