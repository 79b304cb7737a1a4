// What handlers may touch on the host: io, os.exit and require are off unless the app is served with --allow.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startServer, writeApp, type RunningServer } from "../helpers/server";
import { get } from "../helpers/http";

const APP = `
function api.probe.get(ctx)
  return api.json {
    io = io ~= nil, require = require ~= nil, package = package ~= nil,
    exit = os.exit ~= nil, execute = os.execute ~= nil, remove = os.remove ~= nil,
    time = os.time ~= nil, clock = os.clock ~= nil, dofile = dofile ~= nil, loadfile = loadfile ~= nil,
  }
end
function api.exit.get(ctx) os.exit(1) end
`;

describe("default sandbox", () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startServer(writeApp(APP));
  });
  after(() => srv?.stop());

  test("no io, no require, no os.exit/execute/remove; time and clock stay", async () => {
    const r = await get(srv.port, "/probe");
    assert.deepEqual(JSON.parse(r.body), { io: false, require: false, package: false, exit: false, execute: false, remove: false, time: true, clock: true, dofile: false, loadfile: false });
  });

  test("a handler calling os.exit gets a 500 naming the problem, and the worker lives on", async () => {
    const pid = (await srv.stats()).workers[0].pid;
    const r = await get(srv.port, "/exit");
    assert.equal(r.status, 500);
    assert.match(JSON.parse(r.body).error.message, /attempt to call a nil value \(field 'exit'\)/);
    assert.equal((await srv.stats()).workers[0].pid, pid);
  });
});

describe("--allow io,os,require", () => {
  test("gives them back", async () => {
    const srv = await startServer(writeApp(APP), ["--allow", "io,os,require"]);
    try {
      const r = JSON.parse((await get(srv.port, "/probe")).body);
      assert.equal(r.io, true);
      assert.equal(r.exit, true);
      assert.equal(r.require, true);
    } finally {
      await srv.stop();
    }
  });
});
