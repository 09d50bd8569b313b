#!/usr/bin/env bash
# The entry point behind `npm test`, `npm run demo` and `.ci/run`. Each task does its own set-up
# from a fresh clone: the pinned Node.js, dependencies, the build, and the local service stack.
#
#   bash scripts/run.sh deps    install dependencies (npm ci) for the pinned Node.js
#   bash scripts/run.sh test    type-check, lint, unit tests, stack up, integration tests
#   bash scripts/run.sh demo    bring the platform up and show it working (zenthos demo [flags])
#   bash scripts/run.sh bench   the end-to-end benchmark and its baselines (zenthos bench [stage] [flags])
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=node-env.sh
source scripts/node-env.sh

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

deps() {
  # Native addons (node-rdkafka) are built for one Node.js ABI: reinstall when the lock file or
  # the Node.js version changed since the last install.
  local want have=""
  want="$(node --version) $(sha256sum package-lock.json | cut -d' ' -f1)"
  [ -f node_modules/.zenthos-deps ] && have="$(cat node_modules/.zenthos-deps)"
  if [ "$want" != "$have" ]; then
    step "npm ci (Node $(node --version); node-rdkafka builds librdkafka, a few minutes the first time)"
    npm ci --no-audit --no-fund
    echo "$want" > node_modules/.zenthos-deps
  fi
}

build() {
  step "build and type-check (tsc -b)"
  npm run --silent build
}

stack_up() {
  step "local service stack"
  zenthos stack up
  zenthos stack status
}

task="${1:-}"
shift || true
case "$task" in
  deps)
    deps
    ;;
  test)
    deps
    build
    step "lint (eslint, prettier)"
    npm run --silent lint
    step "unit tests"
    npx jest --ci --testPathIgnorePatterns '\.int\.test\.ts$' /dist/ "$@"
    stack_up
    step "integration tests (real Kafka, PostgreSQL, RabbitMQ, Redis, MQTT)"
    # --forceExit: a client library that keeps a socket open must not hang CI after the results.
    npx jest --ci --runInBand --forceExit --testPathPatterns '\.int\.test\.ts$' "$@"
    ;;
  demo)
    deps
    build
    stack_up
    step "demo: every service, simulated devices, a staged rollout (Ctrl-C stops everything)"
    zenthos demo "$@"
    ;;
  bench)
    deps
    build
    stack_up
    step "benchmark"
    zenthos bench "$@"
    ;;
  *)
    echo "usage: bash scripts/run.sh deps|test|demo|bench" >&2
    exit 2
    ;;
esac
