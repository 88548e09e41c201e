"""The compiled part of the package: sandpit._codec, the client's hot path (sandpit/codec.py).

Optional: where it cannot be built (no C compiler or no Python headers), the install goes on
and sandpit uses the pure-Python codec, which gives identical results. Everything else is in
pyproject.toml.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "sandpit._codec",
            sources=["sandpit/_codec.c"],
            extra_compile_args=["-O2", "-std=c11", "-Wall", "-Wextra"],
            optional=True,
        )
    ]
)
