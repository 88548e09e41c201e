"""Gymnasium recipes for sandpit envs: every vectorization, wrappers, video, copies.

    python examples/gymnasium_recipes.py [--endpoint tcp://127.0.0.1:5555] [--video-dir DIR]

Without an endpoint each env starts (or shares) a local `sandpit serve`. Each recipe runs a
few hundred random steps and prints one line.
"""

from __future__ import annotations

import argparse
import copy
import functools
import tempfile

import gymnasium as gym
import numpy as np
import sandpit  # registers the "sandpit/..." ids


def steps(envs, n: int = 200) -> int:
    """Random steps; returns how many episodes ended."""
    envs.action_space.seed(0)
    envs.reset(seed=0)
    ended = 0
    for _ in range(n):
        _, _, term, trunc, _ = envs.step(envs.action_space.sample())
        ended += int(np.count_nonzero(np.logical_or(term, trunc)))
    return ended


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--endpoint", default=None)
    p.add_argument("--video-dir", default=None)
    args = p.parse_args()
    ep = {"endpoint": args.endpoint}

    # 1. One batched session: all envs step in one message (the fast path).
    envs = sandpit.make_vec("CartPole-v0", 8, args.endpoint, seed=0)
    envs = gym.wrappers.vector.RecordEpisodeStatistics(envs)  # owns info["episode"]
    print("sandpit.make_vec + RecordEpisodeStatistics:", steps(envs), "episodes")
    envs.close()

    # 2. The same through Gymnasium's registry, and Gymnasium's own vectorizations.
    for mode in ("vector_entry_point", "sync", "async"):
        envs = gym.make_vec("sandpit/CartPole-v0", num_envs=4, vectorization_mode=mode, **ep)
        print(f"gym.make_vec({mode!r}):", steps(envs), "episodes")
        envs.close()
    make_one = functools.partial(gym.make, "sandpit/CartPole-v0", **ep)
    for envs in (gym.vector.SyncVectorEnv([make_one] * 4),
                 gym.vector.AsyncVectorEnv([make_one] * 4)):
        print(f"{type(envs).__name__}:", steps(envs), "episodes")
        envs.close()

    # 3. Same-step autoreset (the final observation in info) and partial resets.
    envs = sandpit.make_vec("CartPole-v0", 4, args.endpoint, seed=0,
                            autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)
    envs.reset(seed=0)
    for _ in range(100):
        _, _, term, trunc, info = envs.step(envs.action_space.sample())
        if "final_obs" in info:
            print("same_step: final_obs of envs", np.flatnonzero(info["_final_obs"]).tolist())
            break
    envs.close()
    envs = sandpit.make_vec("CartPole-v0", 4, args.endpoint, seed=0,
                            autoreset_mode=gym.vector.AutoresetMode.DISABLED)
    envs.reset(seed=0)
    for _ in range(100):
        _, _, term, trunc, _ = envs.step(envs.action_space.sample())
        if (term | trunc).any():
            envs.reset(options={"reset_mask": term | trunc})  # only the ended envs
    print("disabled autoreset + reset_mask: ok")
    envs.close()

    # 4. Video: frames drawn by the server; RecordVideo writes mp4 files through moviepy.
    env = gym.make("sandpit/CartPole-v0", render_mode="rgb_array",
                   max_episode_steps=200, **ep)  # also the server-side truncation limit
    video_dir = args.video_dir or tempfile.mkdtemp(prefix="sandpit-videos-")
    env = gym.wrappers.RecordVideo(env, video_dir, episode_trigger=lambda e: e == 0,
                                   disable_logger=True)
    env.reset(seed=0)
    for _ in range(50):
        *_, term, trunc, _ = env.step(env.action_space.sample())
        if term or trunc:
            break
    env.close()
    print("RecordVideo wrote to", video_dir)

    # 5. Copies are new sessions with the same id and config.
    env = gym.make("sandpit/CartPole-v0", **ep)
    twin = copy.deepcopy(env)
    assert twin.unwrapped.session_id != env.unwrapped.session_id
    print("deepcopy: a new session", twin.unwrapped.session_id)
    twin.close()
    env.close()


if __name__ == "__main__":
    main()
