#!/usr/bin/env node
"use strict";
const path = require("node:path");
const fs = require("node:fs");
// Checked before anything else loads: on an older Node the bundle would fail with a syntax error
// that says nothing about the version.
const needed = Number(/\d+/.exec(require("../package.json").engines.node)[0]);
if (Number(process.versions.node.split(".")[0]) < needed) {
  console.error(`moonscope: needs Node ${needed} or newer; this is Node ${process.version}. Install a newer Node (https://nodejs.org) and run it again.`);
  process.exit(1);
}
const entry = path.join(__dirname, "..", "dist", "cli", "moonscope.js");
if (!fs.existsSync(entry)) {
  console.error("moonscope: dist/ is missing. Run `npm install` (or `npm run build`) in the Moonscope folder first.");
  process.exit(2);
}
require(entry);
