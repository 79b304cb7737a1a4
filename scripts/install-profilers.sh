#!/usr/bin/env bash
# Installs the outside profilers the 0x and clinic modes drive (not needed by `npm test`) the way a
# user gets them: `moonscope install`, into Moonscope's profiler cache (MOONSCOPE_PROFILER_CACHE,
# else ~/.cache/moonscope/profilers). Does nothing for a tool already there.
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/build.mjs
for tool in 0x clinic; do
  if node bin/moonscope.js doctor --json | node -e '
    const c = JSON.parse(require("fs").readFileSync(0, "utf8")).checks.find((x) => x.name === process.argv[1]);
    process.exit(c && c.state !== "missing" ? 0 : 1);' "$tool"; then
    continue
  fi
  node bin/moonscope.js install "$tool"
done
