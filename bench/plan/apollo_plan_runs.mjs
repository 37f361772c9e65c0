// Times @apollo/query-planner inside one node process (start-up and parsing excluded).
// stdin: {"runs": n, "warmup": n, "graphs": [{"supergraph": sdl, "operations": [{"query", "operationName"?}]}]}
// stdout: {"medians_ms": [[number|null per operation] per graph]}
// Each run builds a fresh QueryPlanner per supergraph (untimed: that is where Apollo builds
// its query graph), then times, per operation, operationFromDocument (validation off: the
// document was validated once, untimed) plus buildQueryPlan. No plan is ever served from
// a cache: every operation is planned once per planner. Warm-up runs are not recorded.
// Apollo's packages come from oracle/node_modules (ORACLE_DIR overrides), never from bench/.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const oracleDir = process.env.ORACLE_DIR ?? fileURLToPath(new URL("../../oracle/", import.meta.url));
const require = createRequire(path.join(oracleDir, "package.json"));
const { Supergraph, operationFromDocument } = require("@apollo/federation-internals");
const { QueryPlanner } = require("@apollo/query-planner");
const { parse } = require("graphql");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const graphs = input.graphs.map((g) => {
  const supergraph = Supergraph.build(g.supergraph);
  const operations = g.operations.map((op) => {
    const document = parse(op.query);
    try {
      // Validates once, untimed; operations Apollo rejects are left out of the timings.
      operationFromDocument(supergraph.schema, document, { operationName: op.operationName, validate: true });
      return { document, operationName: op.operationName, ok: true };
    } catch {
      return { document, operationName: op.operationName, ok: false };
    }
  });
  return { sdl: g.supergraph, supergraph, operations };
});

function runOnce(record) {
  graphs.forEach((g, gi) => {
    const planner = new QueryPlanner(g.supergraph);
    g.operations.forEach((op, oi) => {
      if (!op.ok) return;
      const started = performance.now();
      try {
        const operation = operationFromDocument(g.supergraph.schema, op.document, {
          operationName: op.operationName,
          validate: false,
        });
        planner.buildQueryPlan(operation);
      } catch {
        op.ok = false;
        return;
      }
      if (record) record(gi, oi, performance.now() - started);
    });
  });
}

for (let i = 0; i < (input.warmup ?? 1); i++) runOnce(null);
const samples = graphs.map((g) => g.operations.map(() => []));
for (let i = 0; i < (input.runs ?? 3); i++) runOnce((gi, oi, ms) => samples[gi][oi].push(ms));

function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
const mediansMs = graphs.map((g, gi) => g.operations.map((op, oi) => (op.ok ? median(samples[gi][oi]) : null)));
process.stdout.write(JSON.stringify({ medians_ms: mediansMs }));
