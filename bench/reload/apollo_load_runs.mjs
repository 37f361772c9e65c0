// Times Apollo Gateway loading a supergraph inside one node process (start-up excluded).
// stdin: {"sdl": string, "runs": n, "warmup": n}
// stdout: {"runs_ms": [number], "warmup_ms": [number], "types": n}
// Each run is `new ApolloGateway({ supergraphSdl })` then `load()`: parsing and validating
// the supergraph, its API schema and the query planner (its query graph), i.e. what the
// gateway does before it serves a new supergraph. Apollo's packages come from
// oracle/node_modules (ORACLE_DIR overrides), never from bench/.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const oracleDir = process.env.ORACLE_DIR ?? fileURLToPath(new URL("../../oracle/", import.meta.url));
const require = createRequire(path.join(oracleDir, "package.json"));
const { ApolloGateway } = require("@apollo/gateway");

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function loadOnce(sdl) {
  const started = performance.now();
  const gateway = new ApolloGateway({ supergraphSdl: sdl, logger: silent });
  const { schema } = await gateway.load();
  const ms = performance.now() - started;
  await gateway.stop();
  return { ms, types: Object.keys(schema.getTypeMap()).length };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const warmupMs = [];
const runsMs = [];
let last;
for (let i = 0; i < (input.warmup ?? 1); i++) {
  last = await loadOnce(input.sdl);
  warmupMs.push(last.ms);
}
for (let i = 0; i < (input.runs ?? 5); i++) {
  last = await loadOnce(input.sdl);
  runsMs.push(last.ms);
}
process.stdout.write(JSON.stringify({ runs_ms: runsMs, warmup_ms: warmupMs, types: last.types }));
