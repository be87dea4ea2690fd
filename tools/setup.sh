#!/usr/bin/env bash
# Installs whatever the kit needs and this machine lacks, and for `test` and
# `setup` the slides' pinned Marp CLI and the browser test's puppeteer-core
# (npm ci: only those tests and a teacher need them, never a learner's
# demo). `./kit demo`, `./kit test` and `./kit setup` run it first with
# their own name:
#
#     tools/setup.sh [demo|test|setup]      (no argument: as setup)
#
# so a fresh Debian 12 machine needs nothing else. Safe to run again: it
# installs only what is missing.
#
# On a system without apt (macOS) it changes nothing and says what to
# install; see README.md, "On macOS".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kit_command="${1:-setup}"

packages=(
  cmake ninja-build g++ libgtest-dev libgmock-dev  # build and unit tests
  python3 python3-pytest python3-matplotlib        # behaviour tests, timeline images
  doxygen graphviz                                 # API docs (a test)
  chromium fonts-dejavu-core fontconfig            # rendering the slides, fc-list for glyphs (a test)
  curl ca-certificates git                         # a real HTTP client; npm over TLS
  libev-dev libuv1-dev pkg-config                  # the benchmarks compare the kit with libev, libuv
  libboost-dev                                     # ... and with Boost.Asio (bench-post, the appendix)
  libanyevent-perl libev-perl libevent-perl libpoe-perl  # the appendix: stage 5's fetch in Perl's event machines
  clang libclang-rt-14-dev                         # libFuzzer for the request parser's fuzz test
  nlohmann-json3-dev                               # stage 8: the chat's JSON, and its load tool
  wrk nginx-light                                  # stage 7's benchmark: serve against nginx (bench-serve)
)
# Debian's npm conflicts with NodeSource's nodejs, which bundles npm:
# ask for nodejs and npm only when there is no npm at all.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} > 0)); then
    echo "kit setup: installing ${missing[*]}"
    sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then
      sudo="sudo"
    fi
    $sudo apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
else
  echo "kit setup: no apt here; install the tools listed in README.md (On macOS) if ./kit doctor reports any missing"
fi

if [[ ( "$kit_command" == test || "$kit_command" == setup ) && ! -x "$root/slides/node_modules/.bin/marp" ]]; then
  echo "kit setup: installing the slides' Marp CLI (npm ci in slides/)"
  (cd "$root/slides" && npm ci --no-audit --no-fund --loglevel=error)
fi
# Stage 8's browser test drives Debian's Chromium with puppeteer-core, pinned
# in tests/browser/package-lock.json; puppeteer-core never downloads a browser.
if [[ ( "$kit_command" == test || "$kit_command" == setup ) && ! -d "$root/tests/browser/node_modules/puppeteer-core" ]]; then
  echo "kit setup: installing the browser test's puppeteer-core (npm ci in tests/browser/)"
  (cd "$root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
