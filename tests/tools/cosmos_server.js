#!/usr/bin/env node
// Runs @vercel/cosmosdb-server 1.0.1 on 127.0.0.1 for tests, with a certificate made at test time.
// Usage: node cosmos_server.js CERT_PEM KEY_PEM [PORT]. Prints {"port": N} once listening; exits when stdin closes,
// so the server never outlives the Python process that started it.
//
// Where the server differs from Azure Cosmos DB and the difference matters to RootMail, it is corrected here,
// one response at a time, and only toward what the real service answers. Nothing else is changed:
//
// 1. Reading a missing document. The package's read-document handler does `data[path]` on `undefined` when the id
//    is unknown in that partition, throws a TypeError and answers 500. Azure Cosmos DB answers 404 NotFound
//    (sub-status 0). We rewrite exactly that case: a GET of /dbs/{db}/colls/{coll}/docs/{id} whose handler failed
//    with "Cannot read properties of undefined". Any other 500 is passed through untouched, so genuine server
//    faults still fail tests.
//
// Known differences deliberately NOT corrected (the store is written to be right on both):
// - queries ignore the x-ms-documentdb-partitionkey header: every partition-scoped query also filters on c.pk;
// - no LIKE, OFFSET/LIMIT, GROUP BY, DISTINCT: the store uses CONTAINS on lower-cased copies and keyset/continuation
//   paging;
// - transactional batch is broken: the store does not use batches;
// - TTL is never applied: the store does not depend on TTL expiry.
"use strict";

const fs = require("fs");
const { createHttpsServer } = require("@vercel/cosmosdb-server");

const DOCUMENT_PATH = /^\/dbs\/[^/]+\/colls\/[^/]+\/docs\/[^/]+\/?$/;
const MISSING_DOCUMENT_FAULT = "Cannot read properties of undefined";
const NOT_FOUND = JSON.stringify({
  code: "NotFound",
  message: "Entity with the specified id does not exist in the system.",
});

function correctMissingDocumentRead(req, res) {
  if (req.method !== "GET" || !DOCUMENT_PATH.test(req.url.split("?")[0])) return;
  const end = res.end.bind(res);
  res.end = (body, ...rest) => {
    const text = body === undefined ? "" : String(body);
    if (res.statusCode === 500 && text.includes(MISSING_DOCUMENT_FAULT)) {
      res.statusCode = 404;
      res.setHeader("x-ms-substatus", "0");
      return end(NOT_FOUND, ...rest);
    }
    return end(body, ...rest);
  };
}

function main() {
  const [certPath, keyPath, port = "0"] = process.argv.slice(2);
  if (!certPath || !keyPath) {
    process.stderr.write("usage: cosmos_server.js CERT_PEM KEY_PEM [PORT]\n");
    process.exit(2);
  }
  // keepAlive: the package closes every connection by default; Azure Cosmos DB keeps them open, and a TLS handshake
  // per request would dominate every latency we measure.
  const server = createHttpsServer({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath), keepAlive: true });
  const handlers = server.listeners("request");
  server.removeAllListeners("request");
  server.on("request", (req, res) => {
    correctMissingDocumentRead(req, res);
    handlers.forEach((handle) => handle(req, res));
  });
  server.listen(Number(port), "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
  });
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
}

main();
