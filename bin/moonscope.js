#!/usr/bin/env node
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "cli", "moonscope.js");
if (!fs.existsSync(entry)) {
  console.error("moonscope: dist/ is missing. Run `npm install` (or `npm run build`) in the Moonscope folder first.");
  process.exit(2);
}
require(entry);
