#!/usr/bin/env bash
# No fused multiply-add in the simulation: disassembles the given libraries (Chipmunk, our
# math, sim and envs) and fails on any FMA instruction, which would round once where the
# source rounds twice and so give other bits than a machine without FMA (docs/DETERMINISM.md).
#   no_fma.sh OBJDUMP ARCH LIB.a...
set -uo pipefail
objdump=$1 arch=$2; shift 2
case "$arch" in
    x86_64|AMD64|amd64) # FMA3 (vfmadd231sd, vfnmsub132pd, vfmaddsub213pd, ...) and FMA4
        pattern='\bvfn?m(add|sub)[a-z0-9]*\b' ;;
    aarch64|arm64) # scalar, vector, widening and complex forms
        pattern='\b(fn?madd|fn?msub|fmla|fmls|fmlal2?|fmlsl2?|fcmla|bfmlal[bt]?)\b' ;;
    *) echo "no_fma.sh: no FMA mnemonics known for $arch"; exit 1 ;;
esac
# The pattern must catch what it is for, or this test could never fail.
canary=$'  4005d0:\tc4 e2 f1 b9 c2    \tvfmadd231sd %xmm2,%xmm1,%xmm0\n  10:\t1f420c20 \tfmadd\td0, d1, d2, d3'
if ! grep -Eq "$pattern" <<< "$canary"; then echo "FAIL the pattern misses its canary"; exit 1; fi

fail=0
for lib in "$@"; do
    hits=$("$objdump" -d --no-show-raw-insn "$lib" | grep -E "$pattern")
    if [ -n "$hits" ]; then
        echo "FAIL $(basename "$lib"): $(wc -l <<< "$hits") fused multiply-adds"
        head -5 <<< "$hits"
        fail=1
    else
        echo "ok   $(basename "$lib"): $("$objdump" -d "$lib" | grep -c $'^\s*[0-9a-f]*:\t') instructions, no FMA"
    fi
done
exit $fail
