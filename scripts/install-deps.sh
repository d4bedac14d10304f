#!/usr/bin/env bash
# Installs prism's build and test dependencies from Debian 12's archive.
set -euo pipefail
packages=(
  build-essential cmake ninja-build pkg-config git
  libboost-dev libboost-system-dev libssl-dev libcurl4-openssl-dev
  nlohmann-json3-dev libcli11-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpng-dev libjpeg-dev libwebp-dev libpcre2-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libsoxr-dev libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us pocketsphinx-testdata flite1-dev libwebrtc-audio-processing-dev
  python3 openssl curl
  chromium fonts-dejavu-core  # the playground's browser tests (puppeteer-core drives this Chromium)
)
# Node.js runs the end-to-end tests (the official openai npm package); the
# base image may carry its own build, so Debian's is only a fallback.
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
