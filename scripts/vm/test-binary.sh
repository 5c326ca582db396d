#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# Builds the integration test target NAME (cargo test --no-run) and prints
# the path of its executable.   usage: test-binary.sh NAME
set -euo pipefail
name=$1
${CARGO:-cargo} test --test "$name" --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("target", {}).get("name") == sys.argv[1] and m.get("executable"):
        print(m["executable"])' "$name" | tail -1
