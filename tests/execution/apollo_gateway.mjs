// Executes operations with Apollo Gateway (+ Apollo Server, no HTTP listener): the
// reference for the executor's responses. Packages come from oracle/node_modules.
// stdin: {"runs": [{"supergraph": sdl (URLs pointing at running subgraphs),
//                   "operations": [{"query", "variables"?, "operationName"?}]}]}
// stdout: {"runs": [[{"data"?, "errors"?, "extensions"?}, ...]]}; one gateway per run,
// operations one after the other.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../oracle/package.json", import.meta.url));
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const runs = [];
for (const run of input.runs) {
  const gateway = new ApolloGateway({ supergraphSdl: run.supergraph, logger: quiet });
  const server = new ApolloServer({ gateway, logger: quiet, includeStacktraceInErrorResponses: false });
  await server.start();
  const results = [];
  for (const op of run.operations) {
    const response = await server.executeOperation({
      query: op.query,
      variables: op.variables || {},
      operationName: op.operationName || undefined,
    });
    results.push(response.body.kind === "single" ? response.body.singleResult : { errors: [{ message: "incremental" }] });
  }
  await server.stop();
  runs.push(results);
}
process.stdout.write(JSON.stringify({ runs }));
