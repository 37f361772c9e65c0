// Times Apollo's composeServices repeatedly inside one node process (start-up excluded).
// stdin: {"subgraphs": [{"name", "url", "sdl"}], "runs": n, "warmup": n}
// stdout: {"ok": bool, "runs_ms": [number], "warmup_ms": [number], "errors": [{code, message}], "type_count": n}
// Each timed run parses the SDL strings and composes, as our compose() does from strings.
// Apollo's packages come from oracle/node_modules (ORACLE_DIR overrides), never from bench/.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const oracleDir = process.env.ORACLE_DIR ?? fileURLToPath(new URL("../../oracle/", import.meta.url));
const require = createRequire(path.join(oracleDir, "package.json"));
const { composeServices } = require("@apollo/composition");
const { parse, buildSchema, isIntrospectionType, isScalarType } = require("graphql");

function composeOnce(subgraphs) {
  const started = performance.now();
  const services = subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
  const result = composeServices(services);
  return { ms: performance.now() - started, result };
}

// Named types a user wrote: no root operation types, introspection, scalars or join/link types.
function typeCount(supergraphSdl) {
  const schema = buildSchema(supergraphSdl);
  const roots = new Set([schema.getQueryType(), schema.getMutationType()].filter(Boolean).map((t) => t.name));
  return Object.values(schema.getTypeMap()).filter(
    (t) => !isIntrospectionType(t) && !isScalarType(t) && !roots.has(t.name) && !/^(join|link)__/.test(t.name),
  ).length;
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const warmupMs = [];
const runsMs = [];
let last;
for (let i = 0; i < (input.warmup ?? 1); i++) {
  last = composeOnce(input.subgraphs);
  warmupMs.push(last.ms);
}
for (let i = 0; i < (input.runs ?? 5); i++) {
  last = composeOnce(input.subgraphs);
  runsMs.push(last.ms);
}
const errors = last.result.errors ?? [];
const ok = errors.length === 0 && typeof last.result.supergraphSdl === "string";
process.stdout.write(
  JSON.stringify({
    ok,
    runs_ms: runsMs,
    warmup_ms: warmupMs,
    errors: errors.map((e) => ({ code: (e.extensions && e.extensions.code) || "UNKNOWN", message: e.message })),
    type_count: ok ? typeCount(last.result.supergraphSdl) : null,
  }),
);
