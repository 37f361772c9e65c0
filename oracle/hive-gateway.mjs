// Hive Gateway (its runtime, @graphql-hive/gateway-runtime) as a server: the peer our
// router's inbound deduplication is measured against in bench/gateway (Apollo Gateway
// has no inbound deduplication; Hive Gateway's `inboundInflightRequestDeduplication`
// shares one execution between identical queries in flight).
//
//   node oracle/hive-gateway.mjs --supergraph FILE [--port P] [--inbound-dedup]
//
// Serves the supergraph at http://127.0.0.1:P/graphql (--port 0, the default, takes a
// free port). The first stdout line is `hive gateway listening http://HOST:PORT/graphql`,
// printed once the server accepts requests. Subgraph-side deduplication is Hive's
// default (on). SIGTERM and SIGINT stop it.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { createGatewayRuntime } from "@graphql-hive/gateway-runtime";

const usage =
  "usage: node oracle/hive-gateway.mjs --supergraph FILE [--port P] [--inbound-dedup]";

function fail(message) {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
}

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      supergraph: { type: "string" },
      port: { type: "string", default: "0" },
      "inbound-dedup": { type: "boolean", default: false },
    },
  }));
} catch (error) {
  fail(String(error.message || error));
}
if (!args.supergraph) fail("--supergraph is required");
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${args.port}`);

let supergraph;
try {
  supergraph = readFileSync(args.supergraph, "utf8");
} catch (error) {
  fail(`cannot read ${args.supergraph}: ${error.message}`);
}

const gateway = createGatewayRuntime({
  supergraph,
  logging: "error",
  inboundInflightRequestDeduplication: args["inbound-dedup"],
  graphqlEndpoint: "/graphql",
  landingPage: false,
  maskedErrors: false,
});
const server = createServer(gateway);
server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address();
  process.stdout.write(`hive gateway listening http://127.0.0.1:${bound}/graphql\n`);
});

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
