"""Stable-Baselines3 PPO on sandpit's CartPole-v0 through the batched VecEnv adapter.

    python examples/sb3_ppo_cartpole.py                   # sandpit/CartPole-v0, 8 envs, 1 session
    python examples/sb3_ppo_cartpole.py --env-id CartPole-v1   # Gymnasium's, SB3's make_vec_env

Hyperparameters are RL Zoo's for CartPole-v1 (100k steps). Prints one JSON line: steps, wall
time, the last training episodes' mean return and a deterministic evaluation's.
"""

from __future__ import annotations

import argparse
import json
import time

import sandpit.sb3
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.utils import LinearSchedule


def make_envs(env_id: str, n_envs: int, seed: int):
    if env_id.startswith("sandpit/"):
        return sandpit.sb3.make_vec_env(env_id, n_envs=n_envs, seed=seed)
    return make_vec_env(env_id, n_envs=n_envs, seed=seed)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env-id", default="sandpit/CartPole-v0")
    p.add_argument("--n-envs", type=int, default=8)
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(1)  # a 64x64 MLP: threads cost more than they bring

    envs = make_envs(args.env_id, args.n_envs, args.seed)
    model = PPO(
        "MlpPolicy", envs, n_steps=32, batch_size=256, gae_lambda=0.8, gamma=0.98, n_epochs=20,
        ent_coef=0.0, learning_rate=LinearSchedule(1e-3, 0.0, 1.0),
        clip_range=LinearSchedule(0.2, 0.0, 1.0), seed=args.seed, verbose=0,
    )
    start = time.perf_counter()
    model.learn(total_timesteps=args.steps)
    wall = time.perf_counter() - start
    train_return = sum(e["r"] for e in model.ep_info_buffer) / max(1, len(model.ep_info_buffer))
    eval_envs = make_envs(args.env_id, 4, args.seed + 1000)
    mean, std = evaluate_policy(model, eval_envs, n_eval_episodes=20, deterministic=True)
    eval_envs.close()
    envs.close()
    print(json.dumps({
        "library": "stable-baselines3", "algorithm": "PPO", "env": args.env_id,
        "steps": model.num_timesteps, "wall_s": round(wall, 1),
        "train_return": round(train_return, 1), "eval_return": round(float(mean), 1),
    }))


if __name__ == "__main__":
    main()
