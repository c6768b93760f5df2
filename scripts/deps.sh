#!/usr/bin/env bash
# Installs the Debian packages soapgate needs that are missing: `build` what cgo needs to
# build it (make run), `test` also what the tests drive (make test, .ci/run). Nothing is done
# when everything is there. As root it runs apt-get; otherwise through `sudo -n` when that
# needs no password, else it names the command to run and fails.
set -euo pipefail

build=(gcc make libssl-dev)
test=("${build[@]}" python3-zeep php-cli php-soap xmlsec1 openssl gsoap libxml2-utils chromium postgresql)

case "${1:-test}" in
build) want=("${build[@]}") ;;
test) want=("${test[@]}") ;;
*) echo "usage: $0 [build|test]" >&2; exit 2 ;;
esac

command -v dpkg >/dev/null 2>&1 || exit 0 # not Debian: the README names what to install

need=()
for pkg in "${want[@]}"; do
	dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	sudo=(sudo -n)
else
	echo "deps: missing Debian packages; run: sudo apt-get install ${need[*]}" >&2
	exit 1
fi
echo "deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}"
