"""Scenes built in Python: the same structure as a scene file (docs/SCENES.md).

A :class:`Scene` is a thin builder over the JSON document the server decodes; it checks
nothing the server checks (the server is the one validator, and its errors name the path),
so what you build here is exactly what a file would say.

>>> from sandpit import scene
>>> s = scene.Scene("Ball-v0", summary="a ball falls", dt=0.01, max_steps=100)
>>> ball = s.body("ball", position=(0, 2))
>>> ball.circle(0.2, role="agent")
>>> s.body("ground", type="static").segment((-5, 0), (5, 0), role="terrain")
>>> s.actuator("push", "thruster", body="ball", direction=(1, 0), low=-5, high=5)
>>> s.sensor("ball", "body", body="ball", values=["x", "y"])
>>> s.reward("alive")
>>> s.save("ball.json")                                   # or sandpit.make(scene=s)
>>> scene.Scene.load("ball.json").to_dict() == s.to_dict()
True
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

__all__ = ["FORMAT", "Scene", "Body", "scene_json"]

FORMAT = 1  # the scene format version this package writes (docs/SCENES.md)

Vec = Sequence[float]


def _vec(v: Vec) -> List[float]:
    return [float(v[0]), float(v[1])]


def _clean(d: Dict[str, Any]) -> Dict[str, Any]:
    """Drops None values and turns tuples into lists, as JSON would."""
    out: Dict[str, Any] = {}
    for k, v in d.items():
        if v is None:
            continue
        out[k] = [list(x) if isinstance(x, tuple) else x for x in v] if isinstance(
            v, (list, tuple)
        ) else v
    return out


class Body:
    """A body of a :class:`Scene`; add shapes with its methods."""

    def __init__(self, data: Dict[str, Any]) -> None:
        self.data = data

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def _shape(self, kind: str, **fields: Any) -> "Body":
        self.data.setdefault("shapes", []).append(_clean({"type": kind, **fields}))
        return self

    def circle(self, radius: float, *, offset: Optional[Vec] = None, **fields: Any) -> "Body":
        return self._shape("circle", radius=radius, offset=offset and _vec(offset), **fields)

    def box(self, size: Vec, *, offset: Optional[Vec] = None, **fields: Any) -> "Body":
        return self._shape("box", size=_vec(size), offset=offset and _vec(offset), **fields)

    def polygon(self, points: Sequence[Vec], **fields: Any) -> "Body":
        return self._shape("polygon", points=[_vec(p) for p in points], **fields)

    def segment(self, a: Vec, b: Vec, **fields: Any) -> "Body":
        return self._shape("segment", a=_vec(a), b=_vec(b), **fields)

    def polyline(self, points: Sequence[Vec], **fields: Any) -> "Body":
        return self._shape("polyline", points=[_vec(p) for p in points], **fields)


class Scene:
    """A scene document under construction. Every method adds one element and returns it
    (a :class:`Body`) or the scene, so calls chain. ``to_dict`` gives the document."""

    def __init__(self, id: str, *, version: int = 0, summary: Optional[str] = None,
                 **world: Any) -> None:
        self.doc: Dict[str, Any] = {"format": FORMAT, "id": id, "version": version}
        if summary is not None:
            self.doc["summary"] = summary
        self.doc["world"] = _clean(
            {k: _vec(v) if k == "gravity" else v for k, v in world.items()}
        )
        self.doc["bodies"] = []

    # -- elements -------------------------------------------------------------------------

    def body(self, name: str, *, type: str = "dynamic", position: Optional[Vec] = None,
             **fields: Any) -> Body:
        data = _clean({"name": name, "type": type,
                       "position": position and _vec(position), **fields})
        self.doc["bodies"].append(data)
        return Body(data)

    def _add(self, key: str, item: Dict[str, Any]) -> "Scene":
        self.doc.setdefault(key, []).append(_clean(item))
        return self

    def joint(self, kind: str, a: Optional[str], b: Optional[str], **fields: Any) -> "Scene":
        return self._add("joints", {"type": kind, "a": a, "b": b, **fields})

    def actuator(self, name: str, kind: str, **fields: Any) -> "Scene":
        return self._add("actuators", {"name": name, "type": kind, **fields})

    def action(self, name: str, values: Sequence[float]) -> "Scene":
        return self._add("actions", {"name": name, "values": [float(v) for v in values]})

    def sensor(self, name: str, kind: str, **fields: Any) -> "Scene":
        return self._add("sensors", {"name": name, "type": kind, **fields})

    def reward(self, kind: str, weight: float = 1.0, **fields: Any) -> "Scene":
        return self._add("reward", {"type": kind, "weight": weight, **fields})

    def terminate(self, reason: str, channel: str, **test: Any) -> "Scene":
        return self._add("terminate", {"reason": reason, "channel": channel, **test})

    def truncate(self, reason: str, channel: str, **test: Any) -> "Scene":
        return self._add("truncate", {"reason": reason, "channel": channel, **test})

    def constraint(self, name: str, channel: str, outside: Vec, **fields: Any) -> "Scene":
        return self._add("constraints",
                         {"name": name, "channel": channel, "outside": _vec(outside), **fields})

    def randomize(self, kind: str, range: Vec, **fields: Any) -> "Scene":
        return self._add("randomize", {"type": kind, "range": _vec(range), **fields})

    def generator(self, kind: str, name: str, **fields: Any) -> "Scene":
        return self._add("generators", {"type": kind, "name": name, **fields})

    # -- documents ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return str(self.doc["id"])

    def to_dict(self) -> Dict[str, Any]:
        """The document (a deep copy): what a scene file holds."""
        return json.loads(self.to_json())

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self.doc, indent=indent, allow_nan=False)

    def save(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the scene as a JSON file (docs/SCENES.md), two-space indented."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.to_json(indent=2) + "\n")

    @classmethod
    def from_dict(cls, doc: Dict[str, Any]) -> "Scene":
        s = cls.__new__(cls)
        s.doc = json.loads(json.dumps(doc, allow_nan=False))
        return s

    @classmethod
    def load(cls, path: Union[str, "os.PathLike[str]"]) -> "Scene":
        with open(path, encoding="utf-8") as f:
            return cls.from_dict(json.load(f))


def scene_json(scene: Union[Scene, Dict[str, Any], str, "os.PathLike[str]"]) -> Tuple[str, str]:
    """The JSON text and id of a scene given as a :class:`Scene`, a dict, or a file path.

    NaN and infinities are refused here (JSON has none); everything else is the server's to
    judge.
    """
    if isinstance(scene, Scene):
        doc = scene.doc
    elif isinstance(scene, dict):
        doc = scene
    elif isinstance(scene, (str, os.PathLike)):
        with open(scene, encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text)
        if not isinstance(doc, dict):
            raise TypeError(f"{os.fspath(scene)}: a scene file holds a JSON object")
        return text, str(doc.get("id"))
    else:
        raise TypeError(f"scene must be a sandpit.scene.Scene, a dict or a path, got {scene!r}")
    return json.dumps(doc, allow_nan=False), str(doc.get("id"))
