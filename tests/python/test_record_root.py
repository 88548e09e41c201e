"""Where a client may make the server write replays: only below --record-root. Without a root
recording over the wire is refused; `..` and absolute paths outside the root are refused;
relative paths land under the root."""

from __future__ import annotations

import pytest
import sandpit
from sandpit import ServerError


def make_recording(endpoint, record):
    env = sandpit.make("CartPole-v0", endpoint, seed=1, max_steps=5, record=record)
    env.reset()
    env.close()


def test_a_server_without_a_root_refuses_recording(server_factory, tmp_path):
    srv = server_factory(bind="tcp://127.0.0.1:*")  # no --record-root added on tcp
    with pytest.raises(ServerError) as e:
        make_recording(srv.endpoint, {"dir": str(tmp_path)})
    assert e.value.code == "bad_request" and "--record-root" in e.value.message
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("where", ["../escape", "a/../../escape", "/etc/sandpit-probe"])
def test_paths_out_of_the_root_are_refused(server_factory, tmp_path, where):
    root = tmp_path / "root"
    root.mkdir()
    srv = server_factory("--record-root", str(root), bind="tcp://127.0.0.1:*")
    with pytest.raises(ServerError) as e:
        make_recording(srv.endpoint, {"dir": where})
    assert e.value.code == "bad_request" and e.value.message.startswith("record.dir:")
    assert not (tmp_path / "escape").exists()


def test_relative_and_inside_paths_land_under_the_root(server_factory, tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    srv = server_factory("--record-root", str(root), bind="tcp://127.0.0.1:*")
    make_recording(srv.endpoint, {"dir": "runs/a"})
    make_recording(srv.endpoint, {"dir": str(root / "b")})
    assert len(list((root / "runs" / "a").glob("*.sprp"))) == 1
    assert len(list((root / "b").glob("*.sprp"))) == 1
