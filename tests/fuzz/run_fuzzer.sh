#!/bin/bash
# Runs a libFuzzer binary for a bounded time over a seed corpus.
# Usage: run_fuzzer.sh FUZZER SEED... ; a crash, leak or timeout fails the test.
set -euo pipefail

fuzzer="$1"
shift
# libFuzzer adds the inputs it finds to the corpus directory, and runfiles
# are read-only.
corpus="$(mktemp -d "${TEST_TMPDIR:-/tmp}/corpus.XXXXXX")"
cp -- "$@" "$corpus/"
artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-$corpus}/"

exec "$fuzzer" -runs=100000 -max_len=8192 -timeout=10 -max_total_time=40 \
  -artifact_prefix="$artifacts" "$corpus"
