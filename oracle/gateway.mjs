// Apollo Gateway as a server: the peer our router is compared with (the gateway
// differential test, tests/gateway/) and measured against (bench/).
//
//   node oracle/gateway.mjs --supergraph FILE [--port P] [--host H]
//
// Serves @apollo/gateway (a static supergraphSdl: no polling, no Studio) behind
// @apollo/server's standalone HTTP server at http://H:P/graphql. --port 0 (the default)
// takes a free port; --host defaults to 127.0.0.1. The first stdout line is
// `gateway listening http://HOST:PORT/graphql`, printed once the server accepts
// requests; nothing else goes to stdout. SIGTERM and SIGINT stop it cleanly.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const usage = "usage: node oracle/gateway.mjs --supergraph FILE [--port P] [--host H]";

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
      host: { type: "string", default: "127.0.0.1" },
    },
  }));
} catch (error) {
  fail(String(error.message || error));
}
if (!args.supergraph) fail("--supergraph is required");
const port = Number(args.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`bad --port ${args.port}`);

let supergraphSdl;
try {
  supergraphSdl = readFileSync(args.supergraph, "utf8");
} catch (error) {
  fail(`cannot read ${args.supergraph}: ${error.message}`);
}

// Warnings and errors still reach stderr; stdout carries only the announcement line.
const logger = {
  debug() {},
  info() {},
  warn: (message) => process.stderr.write(`warn: ${message}\n`),
  error: (message) => process.stderr.write(`error: ${message}\n`),
};

const gateway = new ApolloGateway({ supergraphSdl, logger });
const server = new ApolloServer({
  gateway,
  logger,
  includeStacktraceInErrorResponses: false,
});

let url;
try {
  ({ url } = await startStandaloneServer(server, { listen: { port, host: args.host } }));
} catch (error) {
  process.stderr.write(`gateway failed to start: ${error.stack || error}\n`);
  process.exit(1);
}
const { hostname, port: bound } = new URL(url);
process.stdout.write(`gateway listening http://${hostname}:${bound}/graphql\n`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  try {
    await server.stop();
  } finally {
    process.exit(0);
  }
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
