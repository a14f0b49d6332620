#!/bin/sh
# Build-time check: the symbols src/exports.map exports are exactly the
# hooks and API entry points listed in src/hooks.h.
#   usage: tools/check-exports.sh CC
set -e
cd "$(dirname "$0")/.."
CC=${1:-cc}
listed=$(printf '#include "hooks.h"\n#define H(n, r, p, how, family) EXPORT n\n#define A(n) EXPORT n\nRETAIN_HOOKS(H) RETAIN_API(A)\n' |
         $CC -E -P -Isrc -x c - | tr ' ' '\n' | sed -n '/^EXPORT$/{n;p}' | sort)
mapped=$(sed -n '/global:/,/local:/p' src/exports.map | sed 's#/\*.*\*/##' | tr ' ;' '\n\n' |
         grep -E '^[A-Za-z_][A-Za-z0-9_]*$' | grep -v -e '^global$' -e '^local$' | sort)
if [ "$listed" != "$mapped" ]; then
    echo "src/exports.map and src/hooks.h disagree:" >&2
    printf '%s\n' "$listed" > /tmp/check-exports.$$.a
    printf '%s\n' "$mapped" > /tmp/check-exports.$$.b
    diff /tmp/check-exports.$$.a /tmp/check-exports.$$.b | sed 's/^</  only in hooks.h:/; s/^>/  only in exports.map:/' | grep only >&2 || true
    rm -f /tmp/check-exports.$$.a /tmp/check-exports.$$.b
    exit 1
fi
