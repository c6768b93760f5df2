#!/usr/bin/env bash
# Regenerates the Go types in generated/ from the WSDLs in wsdl/ with gowsdl
# (go.mod pins it as a tool: github.com/hooklift/gowsdl v0.5.0).
#
#   scripts/generate.sh [output-root]
#
# output-root defaults to "generated" (relative to the repository root); a test
# passes a temp dir to check that the committed output is not stale. Each WSDL
# wsdl/<name>.wsdl becomes package <name> in <output-root>/<name>/<name>.go.
# The output is gowsdl's as is (gowsdl already runs go/format over it); edit the
# WSDL, never the generated file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-generated}"
case "$out" in
  /*) ;;
  *) out="$root/$out" ;;
esac

names=(orderstate orderresult charge wscancel silentpay notification rp tokenpay scheduler)

cd "$root"
for name in "${names[@]}"; do
  # gowsdl creates the package directory with mode 0744; make it ourselves.
  mkdir -p "$out/$name"
  # Run from wsdl/ with a relative path: gowsdl logs the path it reads, and it
  # must not depend on where the repository lives. Its log goes to stderr and
  # is shown only when it fails.
  if ! log="$(cd wsdl && go tool gowsdl -d "$out" -p "$name" -o "$name.go" "$name.wsdl" 2>&1)"; then
    printf '%s\n' "$log" >&2
    echo "generate.sh: gowsdl failed on wsdl/$name.wsdl" >&2
    exit 1
  fi
  file="$out/$name/$name.go"
  if ! head -n 1 "$file" | grep -Eq '^// Code generated .* DO NOT EDIT\.$'; then
    echo "generate.sh: $file does not start with a 'Code generated ... DO NOT EDIT.' line" >&2
    exit 1
  fi
done
