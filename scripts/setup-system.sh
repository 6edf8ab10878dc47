#!/usr/bin/env bash
# System packages netae needs on Debian 12 (bookworm): the Vulkan loader, Mesa's lavapipe
# (a Vulkan driver that runs on the CPU, 25.x from bookworm-backports: bookworm's own 22.x
# is too old for Dawn), Chromium for the browser tests, and nats-server (NATS with JetStream, for
# `netae stream`) with openssl (its tests make TLS certificates). Safe to run again.
set -euo pipefail

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

if ! command -v apt-get >/dev/null; then
  echo "setup-system: no apt-get here; install a Vulkan driver (or use a GPU's), the Vulkan loader, Chromium, nats-server and openssl yourself" >&2
  exit 0
fi

mesa=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
have_chromium=$(dpkg-query -W -f='${Status}' chromium 2>/dev/null || true)
have_nats=$(dpkg-query -W -f='${Status}' nats-server 2>/dev/null || true)
if [[ "$mesa" == 2[4-9].* ]] && [[ "$have_chromium" == *"ok installed"* ]] && dpkg -s libvulkan1 >/dev/null 2>&1 \
  && [[ "$have_nats" == *"ok installed"* ]] && command -v openssl >/dev/null; then
  exit 0
fi

if . /etc/os-release && [ "${VERSION_CODENAME:-}" = "bookworm" ]; then
  echo 'deb http://deb.debian.org/debian bookworm-backports main' | $sudo tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1
else
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends mesa-vulkan-drivers libvulkan1
fi
$sudo apt-get install -y -q --no-install-recommends chromium fonts-liberation nats-server openssl
