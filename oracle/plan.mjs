// Plans operations with @apollo/query-planner: the oracle for planner differential tests.
// stdin: JSON {"supergraph": sdl, "operations": [{"query": str, "operationName"?: str,
//   "overrideLabels"?: [str]}]}.
// stdout: JSON {"results": [{"text": str|null, "plan": object|null, "error": str|null, "ms": number}]}
// "text" is prettyFormatQueryPlan's output; "plan" the plan's JSON form.
import { Supergraph, operationFromDocument } from "@apollo/federation-internals";
import { QueryPlanner, prettyFormatQueryPlan } from "@apollo/query-planner";
import { parse } from "graphql";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const supergraph = Supergraph.build(input.supergraph);
const planner = new QueryPlanner(supergraph, input.config || {});
const results = input.operations.map((op) => {
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
process.stdout.write(JSON.stringify({ results }));
