// Which Node runs the daemon: real binaries on a real PATH (this test's node, and small scripts
// standing in for a broken or an old one).
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chooseNode, nodeOnPath, nodeVersion } from "./node-runtime";

const own = { version: "v20.18.1", electron: "32.2.6" };
const dir = mkdtempSync(path.join(tmpdir(), "moonscope-node-"));
const withNode = path.join(dir, "good");
mkdirSync(withNode);
symlinkSync(process.execPath, path.join(withNode, "node"));
const script = (folder: string, name: string, body: string) => {
  mkdirSync(path.join(dir, folder), { recursive: true });
  const f = path.join(dir, folder, name);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
};
const old = script("old", "node", "echo v18.19.0");
const broken = script("broken", "node", "exit 3");
const empty = path.join(dir, "empty");
mkdirSync(empty);

test("the node on PATH runs the daemon, with its version in the log line", { skip: process.platform === "win32" }, () => {
  assert.equal(nodeOnPath([empty, withNode].join(path.delimiter)), path.join(withNode, "node"));
  assert.equal(nodeVersion(path.join(withNode, "node")), process.version);
  const c = chooseNode("", [empty, withNode].join(path.delimiter), own);
  assert.deepEqual(c, { runtime: path.join(withNode, "node"), label: `${path.join(withNode, "node")} ${process.version}` });
});

test("moonscope.nodePath wins over PATH: a path, or a command name looked up on PATH", { skip: process.platform === "win32" }, () => {
  assert.equal(chooseNode(process.execPath, empty, own).runtime, process.execPath);
  const named = script("named", "node22", `exec "${process.execPath}" "$@"`);
  assert.equal(chooseNode("node22", [empty, path.dirname(named)].join(path.delimiter), own).runtime, named);
});

test("no node, one that does not answer, or one older than 20: the editor's own Node, with a warning that says why", { skip: process.platform === "win32" }, () => {
  const none = chooseNode("", empty, own);
  assert.equal(none.runtime, undefined);
  assert.equal(none.label, "the editor's own Node v20.18.1 (inside Electron 32.2.6)");
  assert.match(none.warning!, /^no node was found on PATH, so Moonscope runs apps under the editor's own Node v20\.18\.1 \(inside Electron 32\.2\.6\); .*moonscope\.nodePath\.$/);
  assert.match(chooseNode("", path.dirname(old), own).warning!, /is Node v18\.19\.0, older than 20/);
  assert.match(chooseNode("", path.dirname(broken), own).warning!, /--version did not answer a Node version/);
  assert.match(chooseNode("/no/such/node", path.dirname(withNode), own).warning!, /^moonscope\.nodePath names \/no\/such\/node, which is not an executable file/);
});
