#!/usr/bin/env bash
# Build fastact with AddressSanitizer and UndefinedBehaviorSanitizer (OpenMP
# still on) in a scratch copy of this tree, and run the test suite under them.
# Any report fails the run: UBSan halts on its first error, ASan on its
# first. The in-place build of the tree itself is left alone.
#
#   tools/sanitize.sh                 # the whole suite
#   tools/sanitize.sh tests/test_overlap.py -k reduce    # pytest arguments
#   FASTACT_SANITIZE_SUBSET=1 tools/sanitize.sh          # the subset CI runs
#
# Time, measured on a 2-core machine shared with other jobs (load ~15): the
# build takes ~4 min; the subset 16 min (5,770 tests, zero reports); the
# whole suite, which also builds the embedding examples, drives the peers
# (torch, dask, matplotlib) and reruns the accuracy files at the other tier,
# 23 min at load ~10 (6,841 tests, zero reports). On an unshared 2-core
# machine expect less: the subset took 130 s to build and 158 s to run
# (6,548 tests, zero reports) in CI on one, the opt-in markers deselected.
# The subset is the suite without the files that build other programs
# (wheel, embedding, typing), drive peers (torch, dask, xarray) or the
# command line and demo, or rerun other files at the other tiers in child
# processes (tiers): what is left calls the kernels through every layout,
# method, thread and overlap path, at the best tier.
# (The leak test skips itself under ASan: its quarantine holds freed memory,
# so resident memory grows by design.)
#
# Needs gcc (or clang) with its sanitizer runtimes. Python itself is not
# instrumented: the ASan runtime is preloaded so that it comes first, as an
# instrumented extension in a plain interpreter requires; leak detection is
# off (the interpreter's own allocations at exit are not leaks of ours).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PYTHON="${PYTHON:-python3}"
CC="${CC:-gcc}"
# FASTACT_SANITIZE_DIR: build there and keep it (a second run with the same
# directory rebuilds only what changed); by default a scratch directory.
if [ -n "${FASTACT_SANITIZE_DIR:-}" ]; then
    WORK="$FASTACT_SANITIZE_DIR"
    mkdir -p "$WORK"
else
    WORK="$(mktemp -d)"
    trap 'rm -rf "$WORK"' EXIT
fi

SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g"

echo "sanitize: copying the tree to $WORK" >&2
if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # tracked files and new ones not ignored (so uncommitted work is tested)
    git -C "$ROOT" ls-files -z --cached --others --exclude-standard \
        | (cd "$ROOT" && tar --null -T - -cf -) | tar -xf - -C "$WORK"
else
    tar --exclude=build --exclude='*.so' --exclude='src/fastact/*.c' -cf - . | tar -xf - -C "$WORK"
fi

echo "sanitize: building with $SAN" >&2
start=$(date +%s)
(cd "$WORK" && CC="$CC" CFLAGS="$SAN" LDFLAGS="$SAN" \
    "$PYTHON" setup.py build_ext --inplace -j 2 >"$WORK/build.log" 2>&1) \
    || { tail -40 "$WORK/build.log" >&2; exit 1; }
if ! grep -q "fastact: OpenMP on" "$WORK/build.log"; then
    grep "fastact: OpenMP" "$WORK/build.log" >&2 || true
    echo "sanitize: OpenMP is off in the sanitized build; the threaded paths would go untested" >&2
    exit 1
fi
echo "sanitize: built in $(( $(date +%s) - start )) s" >&2

LIBASAN="$("$CC" -print-file-name=libasan.so)"
if [ ! -e "$LIBASAN" ]; then
    echo "sanitize: $CC has no libasan.so ($LIBASAN)" >&2
    exit 1
fi

# The C++ runtime is preloaded too when the compiler has one: ASan's
# interceptor of __cxa_throw looks up the real function once, when the
# runtime starts, and finds nothing if libstdc++ only arrives later with a
# C++ extension (matplotlib's ft2font, torch): that extension's first
# exception then aborts the process with a CHECK failure, no fastact frame
# in it.
PRELOAD="$LIBASAN"
LIBSTDCXX="$("$CC" -print-file-name=libstdc++.so)"
if [ -e "$LIBSTDCXX" ]; then
    PRELOAD="$PRELOAD:$LIBSTDCXX"
fi

if [ "$#" -eq 0 ]; then
    if [ "${FASTACT_SANITIZE_SUBSET:-0}" = "1" ]; then
        set -- tests --ignore=tests/test_wheel.py --ignore=tests/test_embedding.py \
            --ignore=tests/test_peers.py --ignore=tests/test_dask.py \
            --ignore=tests/test_xarray_pandas.py --ignore=tests/test_cli.py \
            --ignore=tests/test_demo.py --ignore=tests/test_typing.py \
            --ignore=tests/test_isa_tiers.py --ignore=tests/test_tiers.py
    else
        set -- tests
    fi
fi

# The instrumented build compiles the kernels' arithmetic differently (gcc
# fuses other multiply-adds once UBSan's checks are in the loops), so its
# results are not the release build's bits. One accuracy case sits right at
# its bound there: mish_backward in float32 measures 4.0001 ulp against 4
# (at grad_out = 2.8093, x = -0.1542; the release build passes). It is
# deselected here, and only here, because it is not a sanitizer finding.
set -- "$@" --deselect "tests/test_accuracy.py::test_within_its_catalogue_bound[mish_backward-float32]"

echo "sanitize: running pytest $*" >&2
start=$(date +%s)
cd "$WORK"
# Where the reports go. ASan writes to files under its log_path; any file
# there fails the run, even a report from a child process whose parent
# carried on. UBSan, with ASan's runtime preloaded, ignores its log_path and
# writes to file descriptor 2 (seen with gcc 12): pytest's default capture
# redirects that descriptor into a temporary file per test, which a halted
# process never prints, so a UBSan stop looked like a bare exit status 1.
# pytest therefore captures at the Python level only (--capture=sys), the
# run's output is kept in a log, and any sanitizer line in it fails the run.
REPORTS="$WORK/sanitizer-reports"
LOG="$WORK/pytest.log"
rm -rf "$REPORTS"
mkdir -p "$REPORTS"
status=0
env LD_PRELOAD="$PRELOAD" \
    ASAN_OPTIONS="detect_leaks=0:halt_on_error=1:abort_on_error=1:detect_odr_violation=0:log_path=$REPORTS/asan" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/ubsan" \
    PYTHONPATH="$WORK/src" \
    "$PYTHON" -m pytest -q -p no:cacheprovider --capture=sys "$@" 2>&1 | tee "$LOG" \
    || status=${PIPESTATUS[0]}
echo "sanitize: tests took $(( $(date +%s) - start )) s, exit status $status" >&2
found=0
for report in "$REPORTS"/*; do
    [ -e "$report" ] || continue
    found=1
    echo "sanitize: report $(basename "$report"):" >&2
    grep -v '^    #[1-9][0-9]' "$report" | head -30 >&2
done
if grep -q -E 'runtime error:|ERROR: (Address|UndefinedBehavior)Sanitizer' "$LOG"; then
    found=1
    echo "sanitize: reports in the test output:" >&2
    grep -A 12 -E 'runtime error:|ERROR: (Address|UndefinedBehavior)Sanitizer' "$LOG" \
        | grep -v '^    #[1-9][0-9]' | head -40 >&2
fi
if [ "$found" -eq 1 ]; then
    [ "$status" -ne 0 ] || status=1
else
    echo "sanitize: no sanitizer reports" >&2
fi
exit "$status"
