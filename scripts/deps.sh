#!/usr/bin/env bash
# Installs the Debian 12 packages simpleclaw needs to build, test and fuzz, and only
# those that are missing (idempotent: a second run installs nothing). Runs apt-get as
# root, or through sudo.
set -euo pipefail

PACKAGES=(
  g++ cmake ninja-build ccache pkg-config make git
  lld                        # links the gateway with its start-up function order (idle RSS)
  libboost1.81-dev nlohmann-json3-dev libvalijson-dev libyaml-cpp-dev libsqlite3-dev
  libssl-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev
  clang libclang-rt-14-dev   # libFuzzer targets
  clang-format               # the format check (scripts/check_format.sh)
  bubblewrap                 # exec tool sandbox
  ngircd                     # IRC channel tests run against a real IRC server
  python3-websockets         # fake Discord gateway and Slack Socket Mode servers (tests/fakes)
  python3-prometheus-client  # /metrics test: parsed by the reference Prometheus text parser
  gnuplot-nox                # bench/soak.sh: the soak test's PNG plot
  nodejs npm python3 procps  # interop test (installs the OpenClaw CLI from npm) and scripts
  chromium                   # Control UI interop test (driven by npm playwright-core)
  systemd                    # systemd-analyze verify of the unit `gateway install` writes (tests)
  curl openssl               # the webhook signing recipes of docs/webhooks.md, run as written (tests)
  tzdata                     # time-zone tests of the daily session reset; cron schedules' zones
  libhowardhinnant-date-dev  # date/tz: cron schedules' time-zone and DST math (src/cron), over tzdata
  libavahi-client-dev        # mDNS/DNS-SD advertising and `simpleclaw discover` (src/discovery)
  avahi-daemon avahi-utils dbus  # discovery tests: a real daemon on a private bus, avahi-browse
  libpq-dev libnats-dev       # cluster mode: PostgreSQL store, NATS event bus (src/store, src/cluster)
  postgresql nats-server haproxy # cluster tests: real servers on loopback (scripts/cluster-services.sh)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A machine may have node/npm from elsewhere (not as Debian packages): that is enough.
if command -v node >/dev/null && command -v npm >/dev/null; then
  keep=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || keep+=("$p"); done
  missing=("${keep[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "deps: missing packages (${missing[*]}) and not root; run as root or install sudo" >&2
    exit 1
  fi
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "deps: done"
