#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian 12 packages bpfilter needs to build, test, fuzz, run
# the demo and the benchmarks. Idempotent.
#
#   scripts/install-deps.sh               apt-get update + install (always)
#   scripts/install-deps.sh --if-missing  do nothing when every package is
#                                         already installed (dpkg-query)
#   scripts/install-deps.sh --list        print the package list and exit
#
# Needs root (it runs apt-get); never asks questions.
set -euo pipefail

# Build: compilers, libbpf and the libraries the library and tests link.
BUILD_PKGS=(gcc make clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev
	libcmocka-dev libjansson-dev)
# Runtime and tests: namespaces and veth (iproute2), the reference
# firewalls of the differential tests (iptables, nftables), ping and
# python3 (scripts/demo/netcheck.py) for the demo, bpftool for inspection,
# gnuplot for the benchmark plots.
RUN_PKGS=(iproute2 iptables nftables libnftables-dev bpftool iputils-ping
	python3 gnuplot-nox procps coreutils ipset)
# Fuzzing and style: -fsanitize=fuzzer (libclang_rt.fuzzer) comes with
# libclang-rt-14-dev on Debian 12; the ASan/UBSan runtimes for gcc come
# with gcc itself (libasan8, libubsan1).
DEV_PKGS=(libclang-rt-14-dev clang-format clang-tidy)

PKGS=("${BUILD_PKGS[@]}" "${RUN_PKGS[@]}" "${DEV_PKGS[@]}")

if_missing=0
for arg in "$@"; do
	case "$arg" in
	--if-missing) if_missing=1 ;;
	--list)
		printf '%s\n' "${PKGS[@]}"
		exit 0
		;;
	-h | --help)
		sed -n '3,13p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "install-deps.sh: unknown argument '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

missing() {
	local p status
	for p in "${PKGS[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ "$status" == "install ok installed" ]] || echo "$p"
	done
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "install-deps.sh: this script targets Debian 12 (dpkg/apt-get not found)." >&2
	echo "Install the equivalent of: ${PKGS[*]}" >&2
	exit 1
fi

mapfile -t MISSING < <(missing)
if ((if_missing)) && ((${#MISSING[@]} == 0)); then
	exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
	if ((${#MISSING[@]})); then
		echo "install-deps.sh: missing packages: ${MISSING[*]}" >&2
	fi
	echo "install-deps.sh: must run as root to install packages" \
		"(try: sudo scripts/install-deps.sh)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps.sh: installing: ${MISSING[*]:-(refreshing ${#PKGS[@]} packages)}"
apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# apt-get can find the dpkg lock held for a moment (unattended upgrades):
# retry a few times, bounded.
for try in 1 2 3; do
	if apt-get update -q </dev/null &&
		apt-get install "${apt_opts[@]}" --no-install-recommends "${PKGS[@]}" </dev/null; then
		break
	fi
	if ((try == 3)); then
		echo "install-deps.sh: apt-get failed" >&2
		exit 1
	fi
	echo "install-deps.sh: apt-get failed, retrying in 10 s ($try/3)" >&2
	sleep 10
done

mapfile -t MISSING < <(missing)
if ((${#MISSING[@]})); then
	echo "install-deps.sh: still missing after install: ${MISSING[*]}" >&2
	exit 1
fi
echo "install-deps.sh: all ${#PKGS[@]} packages installed"
