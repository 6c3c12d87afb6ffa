#!/usr/bin/env bash
# Build the documentation in docs/ as CI does: HTML with every warning an
# error, then every example in the pages and docstrings run as a doctest.
#
#     bash tools/build_docs.sh [OUTPUT_DIR]        # default docs/_build
#
# Needs the [docs] extra and an importable fastact: an installed one, or, in a
# checkout built in place, PYTHONPATH=src. -E rebuilds from scratch, so that a
# change to conf.py's hooks is never hidden by a cached page.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-docs/_build}"
python -c "import fastact" || {
    echo "build_docs: fastact is not importable (install it, or build in place and set PYTHONPATH=src)" >&2
    exit 2
}
python -m sphinx -E -W --keep-going -q -b html docs "$OUT/html"
python -m sphinx -E -W --keep-going -q -b doctest docs "$OUT/doctest"
echo "build_docs: HTML in $OUT/html/index.html; doctests passed" >&2
