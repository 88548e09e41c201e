"""PPO in one file, in CleanRL's style (cleanrl/ppo.py), on sandpit's batched vector env.

    python examples/ppo_cartpole.py                          # sandpit/CartPole-v0
    python examples/ppo_cartpole.py --env-id CartPole-v1     # Gymnasium's, for comparison

All envs step in one message (`sandpit.make_vec`). The vector env runs same_step autoreset,
the semantics CleanRL's loop was written for: when an episode ends, the step returns the next
episode's first observation and `done`, so the rollout never holds a transition across two
episodes. Episode returns are summed here from the rewards: Gymnasium 1.2's vector
RecordEpisodeStatistics drops the first reward of every episode but an env's first under
SAME_STEP autoreset. Hyperparameters are RL Zoo's for CartPole (8 envs x 32 steps, 20 epochs), which
solve it in 100k steps. Prints one JSON line at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import time

import gymnasium as gym
import numpy as np
import sandpit
import torch
import torch.nn as nn
from gymnasium.vector import AutoresetMode
from torch.distributions.categorical import Categorical


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--env-id", default="sandpit/CartPole-v0")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=100_000)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--num-envs", type=int, default=8)
    p.add_argument("--num-steps", type=int, default=32)
    p.add_argument("--gamma", type=float, default=0.98)
    p.add_argument("--gae-lambda", type=float, default=0.8)
    p.add_argument("--num-minibatches", type=int, default=1)
    p.add_argument("--update-epochs", type=int, default=20)
    p.add_argument("--clip-coef", type=float, default=0.2)
    p.add_argument("--ent-coef", type=float, default=0.0)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    args = p.parse_args()
    args.batch_size = args.num_envs * args.num_steps
    args.minibatch_size = args.batch_size // args.num_minibatches
    args.num_iterations = args.total_timesteps // args.batch_size
    return args


def make_envs(env_id: str, num_envs: int, seed: int) -> gym.vector.VectorEnv:
    if env_id.startswith("sandpit/"):
        return sandpit.make_vec(env_id, num_envs, seed=seed, autoreset_mode=AutoresetMode.SAME_STEP)
    return gym.make_vec(env_id, num_envs, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})


class EpisodeReturns:
    """Sums each env's rewards and keeps the return of every episode that ends."""

    def __init__(self, num_envs: int) -> None:
        self.running = np.zeros(num_envs)
        self.done: list[float] = []

    def add(self, reward: np.ndarray, terminated: np.ndarray, truncated: np.ndarray) -> None:
        self.running += reward
        ended = np.logical_or(terminated, truncated)
        self.done.extend(self.running[ended].tolist())
        self.running[ended] = 0.0


def layer_init(layer: nn.Linear, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Linear:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    def __init__(self, envs: gym.vector.VectorEnv) -> None:
        super().__init__()
        obs_dim = int(np.prod(envs.single_observation_space.shape))
        self.critic = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 1), std=1.0),
        )
        self.actor = nn.Sequential(
            layer_init(nn.Linear(obs_dim, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, 64)), nn.Tanh(),
            layer_init(nn.Linear(64, envs.single_action_space.n), std=0.01),
        )

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(x)

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None):
        logits = self.actor(x)
        probs = Categorical(logits=logits)
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(x)


def evaluate(agent: Agent, env_id: str, episodes: int, seed: int) -> float:
    """Mean return of the greedy policy over `episodes` episodes."""
    envs = make_envs(env_id, 4, seed)
    obs, _ = envs.reset(seed=seed)
    returns = EpisodeReturns(envs.num_envs)
    while len(returns.done) < episodes:
        with torch.no_grad():
            action = agent.actor(torch.as_tensor(obs)).argmax(dim=1).numpy()
        obs, reward, terminated, truncated, _ = envs.step(action)
        returns.add(reward, terminated, truncated)
    envs.close()
    return float(np.mean(returns.done[:episodes]))


def main() -> None:
    args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    envs = make_envs(args.env_id, args.num_envs, args.seed)
    assert isinstance(envs.single_action_space, gym.spaces.Discrete)
    agent = Agent(envs)
    optimizer = torch.optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    obs = torch.zeros((args.num_steps, args.num_envs) + envs.single_observation_space.shape)
    actions = torch.zeros((args.num_steps, args.num_envs))
    logprobs = torch.zeros((args.num_steps, args.num_envs))
    rewards = torch.zeros((args.num_steps, args.num_envs))
    dones = torch.zeros((args.num_steps, args.num_envs))
    values = torch.zeros((args.num_steps, args.num_envs))

    global_step = 0
    start_time = time.perf_counter()
    episode_returns = EpisodeReturns(args.num_envs)
    next_obs, _ = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(next_obs)
    next_done = torch.zeros(args.num_envs)

    for iteration in range(1, args.num_iterations + 1):
        frac = 1.0 - (iteration - 1.0) / args.num_iterations
        optimizer.param_groups[0]["lr"] = frac * args.learning_rate

        for step in range(args.num_steps):
            global_step += args.num_envs
            obs[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs)
                values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob
            next_obs, reward, terminations, truncations, _ = envs.step(action.numpy())
            done = np.logical_or(terminations, truncations)
            next_done = torch.as_tensor(done, dtype=torch.float32)
            rewards[step] = torch.as_tensor(reward, dtype=torch.float32)
            next_obs = torch.as_tensor(next_obs)
            episode_returns.add(reward, terminations, truncations)

        with torch.no_grad():
            next_value = agent.get_value(next_obs).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = 0
            for t in reversed(range(args.num_steps)):
                if t == args.num_steps - 1:
                    nextnonterminal = 1.0 - next_done
                    nextvalues = next_value
                else:
                    nextnonterminal = 1.0 - dones[t + 1]
                    nextvalues = values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
                advantages[t] = lastgaelam
            returns = advantages + values

        b_obs = obs.reshape((-1,) + envs.single_observation_space.shape)
        b_logprobs = logprobs.reshape(-1)
        b_actions = actions.reshape(-1)
        b_advantages = advantages.reshape(-1)
        b_returns = returns.reshape(-1)

        b_inds = np.arange(args.batch_size)
        for _ in range(args.update_epochs):
            np.random.shuffle(b_inds)
            for start in range(0, args.batch_size, args.minibatch_size):
                mb_inds = b_inds[start : start + args.minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(
                    b_obs[mb_inds], b_actions.long()[mb_inds]
                )
                ratio = (newlogprob - b_logprobs[mb_inds]).exp()
                mb_advantages = b_advantages[mb_inds]
                mb_advantages = (mb_advantages - mb_advantages.mean()) / (
                    mb_advantages.std() + 1e-8
                )
                pg_loss = torch.max(
                    -mb_advantages * ratio,
                    -mb_advantages * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef),
                ).mean()
                v_loss = 0.5 * ((newvalue.view(-1) - b_returns[mb_inds]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + v_loss * args.vf_coef
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

    wall = time.perf_counter() - start_time
    envs.close()
    print(json.dumps({
        "library": "CleanRL-style", "algorithm": "PPO", "env": args.env_id,
        "steps": global_step, "wall_s": round(wall, 1),
        "train_return": round(float(np.mean(episode_returns.done[-20:])), 1),
        "eval_return": round(evaluate(agent, args.env_id, 20, args.seed + 1000), 1),
    }))


if __name__ == "__main__":
    main()
