// Baseline (a) of `npm run bench`: a plain node:cluster + node:http server answering the same JSON
// bytes as examples/hello. Prints "listening <port>" once every worker listens.
"use strict";
const cluster = require("node:cluster");
const http = require("node:http");
const workers = Number(process.env.WORKERS || 2);
const body = Buffer.from('{"message":"We are all good champs"}');
if (cluster.isPrimary) {
  let ready = 0;
  let port = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on("message", (m) => {
      port = m.port;
      if (++ready === workers) console.log("listening " + port);
    });
  }
  const stop = () => {
    for (const id in cluster.workers) cluster.workers[id].kill();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
} else {
  const server = http.createServer((req, res) => {
    if (req.url === "/hello") {
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length });
      res.end(body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  server.keepAliveTimeout = 5000;
  server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => process.send({ port: server.address().port }));
}
