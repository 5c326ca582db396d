#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# Installs what building and testing rspdk needs on a fresh Debian 12 machine.
# Needs root for apt-get; skips packages that are already there.
set -euo pipefail

pkgs=(build-essential pkg-config valgrind git make time)
# SPDK's Python RPC client (PyPI "spdk") runs in a venv of its own.
pkgs+=(python3 python3-venv)
# The VM harness (scripts/vm) boots a Debian kernel in QEMU.
pkgs+=(qemu-system-x86 busybox-static cpio kmod)
# The kernel NVMe/TCP initiator tools and fio, run in the guest against the NVMe-oF target.
pkgs+=(nvme-cli fio e2fsprogs)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages ${missing[*]}; run as root or install them" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
if ! command -v cargo >/dev/null 2>&1; then
	if [ -x "$HOME/.cargo/bin/cargo" ]; then
		echo "install-deps: add \$HOME/.cargo/bin to PATH" >&2
	else
		echo "install-deps: no Rust toolchain (cargo) on this machine" >&2
	fi
	exit 1
fi

# SPDK's own JSON-RPC client, to drive rspdk_tgt as SPDK users do.
venv="$HOME/.cache/rspdk-pyenv"
if [ ! -x "$venv/bin/spdk-rpc" ]; then
	python3 -m venv "$venv"
	"$venv/bin/pip" install -q spdk
fi
