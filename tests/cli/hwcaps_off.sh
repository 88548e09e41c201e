#!/usr/bin/env bash
# The golden hashes with glibc's hardware-capability variants forced off (GLIBC_TUNABLES): had
# any libm function whose variant glibc picks by CPU stayed on the simulated path, the hashes
# would differ from the table. First checks that the tunable took effect (ld.so then lists no
# x86-64-v2/v3/v4 level as supported: baseline x86-64 only), so the test cannot pass by
# ignoring it.
#   hwcaps_off.sh GOLDEN_HASHES TABLE
set -uo pipefail
golden=$1 table=$2
export GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512DQ,-FMA,-FMA4,-BMI1,-BMI2,-LZCNT,-MOVBE,-POPCNT,-SSE4_1,-SSE4_2,-SSSE3
ldso=$(ls /lib64/ld-linux-x86-64.so.2 2>/dev/null)
if [ -z "$ldso" ]; then echo "skipped: no x86-64 glibc loader"; exit 77; fi
if "$ldso" --help | grep -Eq '^\s*x86-64-v[234] \(supported'; then
    echo "FAIL GLIBC_TUNABLES did not switch the x86-64-v2/v3/v4 variants off"; exit 1
fi
echo "ok   glibc runs baseline x86-64 variants only"
"$golden" --check "$table"
