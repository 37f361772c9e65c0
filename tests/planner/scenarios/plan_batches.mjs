// Plans operations over several supergraphs in one node process, with Apollo's packages
// from oracle/node_modules. Same output per operation as oracle/plan.mjs, which takes one
// supergraph per process: loading the packages costs ~2 s, planning a scenario ~10 ms.
// stdin: JSON {"batches": [{"supergraph": sdl, "operations": [{"query", "operationName"?,
//   "overrideLabels"?}], "config"?}]}; stdout: JSON {"results": [[{"text", "plan", "error", "ms"}]]}.
import { createRequire } from "node:module";

const require = createRequire(new URL("../../../oracle/package.json", import.meta.url));
const { Supergraph, operationFromDocument } = require("@apollo/federation-internals");
const { QueryPlanner, prettyFormatQueryPlan } = require("@apollo/query-planner");
const { parse } = require("graphql");

function planAll(batch) {
  const supergraph = Supergraph.build(batch.supergraph);
  const planner = new QueryPlanner(supergraph, batch.config || {});
  return batch.operations.map((op) => {
    const started = performance.now();
    try {
      const operation = operationFromDocument(supergraph.schema, parse(op.query), {
        operationName: op.operationName,
        validate: true,
      });
      const plan = planner.buildQueryPlan(operation, {
        overrideConditions: new Map((op.overrideLabels || []).map((l) => [l, true])),
      });
      return { text: prettyFormatQueryPlan(plan), plan, error: null, ms: performance.now() - started };
    } catch (e) {
      return { text: null, plan: null, error: String((e && e.message) || e), ms: performance.now() - started };
    }
  });
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify({ results: input.batches.map(planAll) }));
