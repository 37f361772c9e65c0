// Composes subgraphs with @apollo/composition: the oracle for differential tests.
// stdin: JSON, either one case {"subgraphs": [{"name", "url", "sdl"}]} or {"cases": [case, ...]}.
// stdout: JSON, {"supergraph": string|null, "errors": [{code, message}], "hints": [{code, message}], "ms": number}
// (or {"results": [...]} for a batch).
import { composeServices } from "@apollo/composition";
import { buildSubgraph } from "@apollo/federation-internals";
import { parse } from "graphql";

function composeOne(input) {
  const started = performance.now();
  const services = input.subgraphs.map((s) => ({
    name: s.name,
    url: s.url ?? `http://${s.name}.invalid/graphql`,
    typeDefs: (() => {
      try {
        return parse(s.sdl);
      } catch (e) {
        return { parseError: String(e.message) };
      }
    })(),
  }));
  const bad = services.find((s) => s.typeDefs.parseError);
  if (bad) {
    return {
      supergraph: null,
      errors: [{ code: "INVALID_GRAPHQL", message: `[${bad.name}] ${bad.typeDefs.parseError}` }],
      hints: [],
      ms: performance.now() - started,
    };
  }
  let result;
  try {
    result = composeServices(services);
  } catch (e) {
    return { supergraph: null, errors: [{ code: "EXCEPTION", message: String(e && e.stack || e) }], hints: [], ms: performance.now() - started };
  }
  const ms = performance.now() - started;
  const code = (e) => (e.extensions && e.extensions.code) || "UNKNOWN";
  return {
    supergraph: result.errors ? null : result.supergraphSdl,
    errors: (result.errors || []).map((e) => ({ code: code(e), message: e.message })),
    hints: (result.hints || []).map((h) => ({ code: h.definition ? h.definition.code : "HINT", message: h.message })),
    ms,
  };
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const output = input.cases ? { results: input.cases.map(composeOne) } : composeOne(input);
process.stdout.write(JSON.stringify(output));
