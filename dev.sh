#!/usr/bin/env bash
# sandpit's one entry point for a newcomer and for CI.
#
#   ./dev.sh demo    build, roll out every env in-process, then train-loop style play over the
#                    socket: a Python agent against a real `sandpit serve` on loopback
#   ./dev.sh test    build, lint, then every test: C unit and CLI tests, valgrind, the same suite
#                    under ASan+UBSan, and the Python suite against real server processes
#   ./dev.sh bench   the benchmarks in bench/, each printing ratios measured in one run
#   ./dev.sh integration
#                    the torch tier (its own venv, build/venv-integration: CPU torch from PyPI,
#                    a ~6 GB install, Stable-Baselines3, RLlib): the SB3 adapter's tests, every
#                    training example next to the same run on Gymnasium's CartPole-v1, and the
#                    SB3 speed benchmark (docs/INTEGRATIONS.md)
#   ./dev.sh golden  rewrite tests/golden/hashes.tsv from this build (review the diff; bump the
#                    version of every env whose bare-env rows changed: docs/DETERMINISM.md)
#   ./dev.sh matrix  the golden hashes under every compiler and flag set we promise (gcc -O0,
#                    -O2, -O3, clang -O2, -O3, each also with -march=native, aarch64 under qemu)
#
# Each installs what is missing on its own (Debian packages with apt-get, Python packages
# from PyPI into build/venv), so it works on a fresh Debian 12 machine as root.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$PWD
VENV=$ROOT/build/venv
JOBS=$(nproc 2>/dev/null || echo 2)

APT_PACKAGES=(build-essential binutils cmake pkg-config git python3 python3-venv python3-pip
  python3-dev libzmq3-dev libmsgpack-dev libjansson-dev zlib1g-dev libgif-dev libsdl2-dev
  valgrind clang libclang-rt-14-dev xvfb xauth chromium clang-format gcc-aarch64-linux-gnu
  libc6-dev-arm64-cross qemu-user python3-pil)

say() { printf '\n== %s\n' "$*"; }

install_system_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_python_packages() {
  local stamp=$VENV/.sandpit-stamp
  # setup.py and the C source too: the editable install compiles sandpit._codec in place.
  local inputs=(agents-bridge/python/pyproject.toml agents-bridge/python/requirements-dev.txt
    agents-bridge/python/setup.py agents-bridge/python/sandpit/_codec.c)
  if [ -f "$stamp" ] && [ -z "$(find "${inputs[@]}" -newer "$stamp" 2>/dev/null)" ]; then return; fi
  say "installing Python packages into build/venv"
  mkdir -p build
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r agents-bridge/python/requirements-dev.txt \
    -e agents-bridge/python
  touch "$stamp"
}

# The package as a user gets it: installed non-editable (from a clean copy of its source, so
# no stale setuptools build/ directory can add or hide a module) into its own venv, whose
# dependencies come from pip's cache after the first run; the binary from a `cmake --install`
# prefix on PATH, with SANDPIT_BIN unset; a smoke test run from an empty directory outside
# the tree (tests/install/smoke.py).
install_check() {
  local venv=$ROOT/build/venv-install prefix=$ROOT/build/install-prefix
  local stamp=$venv/.sandpit-stamp
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  rm -rf "$prefix"
  cmake --install build --prefix "$prefix" > /dev/null
  (
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    tar -C agents-bridge/python --exclude=build --exclude='*.egg-info' --exclude=__pycache__ \
      --exclude='*.so' \
      -cf - . | (mkdir "$tmp/src" && tar -C "$tmp/src" -xf -)
    if [ -f "$stamp" ] && [ agents-bridge/python/pyproject.toml -ot "$stamp" ]; then
      # Dependencies unchanged since the last full install: only this tree's code, built
      # with the venv's own setuptools (no isolated build env to fetch).
      "$venv/bin/python" -m pip install -q --force-reinstall --no-deps --no-build-isolation \
        "$tmp/src"
    else
      "$venv/bin/python" -m pip install -q "$tmp/src" "setuptools>=61" wheel
      touch "$stamp"
    fi
    mkdir "$tmp/cwd" && cd "$tmp/cwd"
    env -u SANDPIT_BIN PATH="$prefix/bin:$PATH" "$venv/bin/python" -I \
      "$ROOT/tests/install/smoke.py" "$ROOT"
  )
}

build() { # build DIR [cmake options...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_WERROR=ON "$@" > /dev/null
  cmake --build "$dir" -j "$JOBS"
}

# The core cross-built for aarch64 (cmake/aarch64-linux-gnu.cmake); its tests run under qemu,
# and replays cross between it and the native build in build/.
# The aarch64 core links the same libraries as the native one (jansson for scenes, zlib and
# giflib for export): Debian's arm64 -dev packages, downloaded and unpacked into
# build/arm64-deps, never installed (an installed libc6:arm64 would join the cross libc under
# qemu and mix two glibc builds in one process). Linked statically.
ARM64_DEPS=(libjansson-dev zlib1g-dev libgif-dev)
arm64_deps() {
  local root=$ROOT/build/arm64-deps lib=$ROOT/build/arm64-deps/usr/lib/aarch64-linux-gnu
  [ -f "$lib/libjansson.a" ] && [ -f "$lib/libz.a" ] && [ -f "$lib/libgif.a" ] && return
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
    $sudo apt-get update -q
  fi
  mkdir -p "$root"
  local p
  for p in "${ARM64_DEPS[@]}"; do
    (cd "$root" && apt-get download -q "$p:arm64" && dpkg-deb -x "${p}"_*_arm64.deb .)
  done
}

build_aarch64() { # build_aarch64 DIR [cmake options...]
  local dir=$1; shift
  arm64_deps
  build "$dir" -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake -DSP_CORE_ONLY=ON \
    -DSP_PEER_BIN_DIR="$ROOT/build/bin" "$@"
}

setup() {
  install_system_packages
  install_python_packages
  say "building into build/"
  build build
}

cmd_demo() {
  setup
  say "in-process rollouts of every env (returns and final state hashes)"
  local ids
  ids=$(build/bin/sandpit envs --json | "$VENV/bin/python" -c \
    'import json,sys; print(" ".join(e["id"] for e in json.load(sys.stdin)))')
  for id in $ids; do build/bin/sandpit rollout --env "$id" --seed 1 --episodes 3; done
  say "a Python agent over the socket against sandpit serve on loopback"
  SANDPIT_BIN=$ROOT/build/bin/sandpit "$VENV/bin/python" -m sandpit.demo
}

# The configured linters: clang-format (.clang-format) over our C, ruff (ruff.toml) and mypy
# (agents-bridge/python/pyproject.toml) over our Python. third_party/ keeps upstream's style.
lint() {
  say "linters: clang-format, ruff, mypy"
  git ls-files '*.c' '*.h' | grep -v '^third_party/' | xargs clang-format --dry-run -Werror
  "$VENV/bin/ruff" check --quiet .
  (cd agents-bridge/python && "$VENV/bin/mypy" sandpit)
}

cmd_test() {
  setup
  lint
  say "C unit, CLI and valgrind tests (ctest, build/)"
  (cd build && ctest --output-on-failure -j "$JOBS")
  say "the Python package installed non-editable, used from outside the source tree"
  install_check
  say "the same suite under ASan+UBSan (build-asan/)"
  build build-asan -DSP_SANITIZE=ON
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -j "$JOBS" -LE valgrind)
  say "second architecture: the core for aarch64 under qemu, replays both ways (build-aarch64/)"
  build_aarch64 build-aarch64
  (cd build-aarch64 && ctest --output-on-failure -j "$JOBS")
  say "golden hashes from an x86-64 build with -march=native (build-native/)"
  cmake -S . -B build-native -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_WERROR=ON \
    -DSP_CORE_ONLY=ON -DCMAKE_C_FLAGS=-march=native > /dev/null
  cmake --build build-native -j "$JOBS" --target golden_hashes
  (cd build-native && ctest --output-on-failure -L golden)
  say "libFuzzer over the server's request handling and the scene decoder (build-fuzz/, clang)"
  if command -v clang > /dev/null; then
    cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSP_WERROR=ON -DSP_FUZZ=ON > /dev/null
    cmake --build build-fuzz -j "$JOBS" --target fuzz_request fuzz_scene
    (cd build-fuzz && ctest --output-on-failure -L fuzz)
  else
    echo "skipped: clang is not installed (apt-get install clang libclang-rt-14-dev)"
  fi
  say "Python tests against real sandpit serve processes (and the ASan+UBSan build)"
  SANDPIT_BIN=$ROOT/build/bin/sandpit SANDPIT_ASAN_BIN=$ROOT/build-asan/bin/sandpit \
    "$VENV/bin/python" -m pytest -q tests/python
  say "all tests passed"
}

cmd_bench() {
  setup
  say "core: in-process steps per second, one thread"
  build/bin/bench_core
  for b in bench_guard bench_faults bench_record bench_scene; do
    say "$b: layer overhead in-process, as ratios"
    build/bin/$b
  done
  # The peers of bench_peers.py; a peer that does not install is reported as not measured.
  "$VENV/bin/python" -m pip install -q -r bench/requirements-peers.txt \
    || echo "some peers did not install: bench_peers.py names them"
  for b in bench/bench_*.py; do
    [ -e "$b" ] || continue
    [ "$b" = bench/bench_sb3.py ] && continue # needs torch: ./dev.sh integration runs it
    say "$b"
    SANDPIT_BIN=$ROOT/build/bin/sandpit "$VENV/bin/python" "$b"
  done
}

# The integration tier's packages: torch from PyPI (its CPU wheels come with CUDA libraries
# it never loads here; no other index is used), SB3, RLlib. Unpinned, like the dev tier.
INTEGRATION_PACKAGES=(torch stable-baselines3 "ray[rllib]" pytest)

install_integration_packages() {
  local venv=$ROOT/build/venv-integration stamp=$ROOT/build/venv-integration/.sandpit-stamp
  if [ -f "$stamp" ] && [ -z "$(find agents-bridge/python/pyproject.toml dev.sh -newer "$stamp")" ]; then
    return
  fi
  say "installing the integration tier into build/venv-integration (torch: ~6 GB)"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${INTEGRATION_PACKAGES[@]}" -e agents-bridge/python
  touch "$stamp"
}

cmd_integration() {
  install_system_packages
  say "building into build/"
  build build
  install_integration_packages
  local py=$ROOT/build/venv-integration/bin/python
  export SANDPIT_BIN=$ROOT/build/bin/sandpit
  local start=$SECONDS
  say "Stable-Baselines3 adapter tests against real servers"
  "$py" -m pytest -q -p no:cacheprovider tests/integration
  say "training examples: sandpit next to Gymnasium's CartPole-v1"
  "$py" tests/integration/run_examples.py
  say "bench/bench_sb3.py"
  "$py" bench/bench_sb3.py
  say "SB3 PPO on every world at one budget, next to random and the baseline (docs/ENVS.md)"
  "$py" tests/integration/ppo_worlds.py
  say "integration tier passed in $((SECONDS - start)) s"
}

cmd_golden() {
  setup
  cmake --build build --target golden-hashes
  git --no-pager diff --stat -- tests/golden/hashes.tsv
}

# One build per variant under build-matrix/, only what the golden check needs; each must
# reproduce tests/golden/hashes.tsv bit for bit, and have no FMA in its simulation code.
cmd_matrix() {
  setup
  local failed=() variant cc opt native dir
  for variant in gcc:-O0 gcc:-O2 gcc:-O3 clang:-O2 clang:-O3 \
                 gcc:-O0:native gcc:-O2:native gcc:-O3:native clang:-O2:native clang:-O3:native \
                 aarch64:-O0 aarch64:-O2 aarch64:-O3; do
    IFS=: read -r cc opt native <<< "$variant"
    dir=build-matrix/${cc}${opt}${native:+-native}
    say "golden hashes: $cc $opt${native:+ -march=native} ($dir)"
    local flags=(-DCMAKE_BUILD_TYPE=None -DSP_WERROR=ON -DSP_CORE_ONLY=ON
                 "-DCMAKE_C_FLAGS=$opt${native:+ -march=native}")
    if [ "$cc" = aarch64 ]; then
      arm64_deps
      flags+=(-DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake)
    else
      flags+=(-DCMAKE_C_COMPILER="$cc")
    fi
    if cmake -S . -B "$dir" "${flags[@]}" > /dev/null &&
       cmake --build "$dir" -j "$JOBS" --target golden_hashes > /dev/null &&
       (cd "$dir" && ctest --output-on-failure -R 'golden\.(hashes|no_fma)'); then :
    else failed+=("$variant"); fi
  done
  if [ ${#failed[@]} -gt 0 ]; then say "FAILED: ${failed[*]}"; exit 1; fi
  say "every variant reproduces the golden hashes"
}

case "${1:-}" in
  demo) cmd_demo ;;
  test) cmd_test ;;
  bench) cmd_bench ;;
  integration) cmd_integration ;;
  golden) cmd_golden ;;
  matrix) cmd_matrix ;;
  *) echo "usage: ./dev.sh demo|test|bench|integration|golden|matrix" >&2; exit 2 ;;
esac
