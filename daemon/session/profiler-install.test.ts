// Where profilers are installed, and an install that fails: real npm, pointed at a registry that
// refuses connections, must leave the cache as it was (no tool folder, no half-written one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cachedProfiler, installProfiler, profilerCacheDir } from "./profiler-install";

test("the profiler cache is the platform's cache folder unless MOONSCOPE_PROFILER_CACHE moves it", () => {
  assert.equal(profilerCacheDir({}, "linux", "/home/u"), "/home/u/.cache/moonscope/profilers");
  assert.equal(profilerCacheDir({ XDG_CACHE_HOME: "/xdg" }, "linux", "/home/u"), "/xdg/moonscope/profilers");
  assert.equal(profilerCacheDir({}, "darwin", "/Users/u"), "/Users/u/Library/Caches/moonscope/profilers");
  assert.equal(profilerCacheDir({ LOCALAPPDATA: "/appdata" }, "win32", "/home/u"), path.join("/appdata", "moonscope", "profilers"));
  assert.equal(profilerCacheDir({ MOONSCOPE_PROFILER_CACHE: "/somewhere/else", XDG_CACHE_HOME: "/xdg" }, "linux", "/home/u"), path.resolve("/somewhere/else"));
});

test("an install npm cannot finish is MS_ERR_PROFILER_INSTALL with npm's words, and leaves nothing in the cache", async () => {
  const cache = mkdtempSync(path.join(tmpdir(), "ms-profiler-cache-"));
  const saved = { registry: process.env.npm_config_registry, retries: process.env.npm_config_fetch_retries };
  // Port 1 refuses at once; no retries, so npm gives up in a second or two.
  process.env.npm_config_registry = "http://127.0.0.1:1/";
  process.env.npm_config_fetch_retries = "0";
  try {
    await assert.rejects(installProfiler("0x", {}, cache), (e: Error & { code?: string }) => {
      assert.equal(e.code, "MS_ERR_PROFILER_INSTALL");
      assert.match(e.message, /npm could not install 0x@5 into .* \(exit \d+\)\. Its last lines:\n[\s\S]*(ECONNREFUSED|127\.0\.0\.1)/);
      assert.match(e.message, /then run `npx moonscope install 0x` again/);
      return true;
    });
  } finally {
    for (const [k, v] of [["npm_config_registry", saved.registry], ["npm_config_fetch_retries", saved.retries]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  assert.equal(cachedProfiler("0x", cache), null);
  assert.deepEqual(readdirSync(cache), [], "no tool folder and no staging folder");
  assert.ok(existsSync(cache));
});
