// Facts that must live in a file that cannot import them (package.json) agree with their one definition.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { MOONSCOPE_VERSION } from "../profile/version";
import { MIN_NODE_MAJOR } from "../daemon/doctor";
import { AUTO_WORKERS_TEXT } from "../protocol/types";

const pkg = JSON.parse(readFileSync(path.resolve(__dirname, "..", "package.json"), "utf8"));

test("package.json's version is MOONSCOPE_VERSION", () => {
  assert.equal(pkg.version, MOONSCOPE_VERSION);
});

test("package.json's engines.node is the Node doctor checks for", () => {
  assert.equal(pkg.engines.node, `>=${MIN_NODE_MAJOR}`);
});

test("package.json's workers setting says what 0 workers means", () => {
  assert.equal(pkg.contributes.configuration.properties["moonscope.workers"].description, `Server workers (0: ${AUTO_WORKERS_TEXT}).`);
});
