// Apollo's API schema of each supergraph, for differential tests of planner/supergraph.
// argv[2]: the oracle directory (its node_modules holds @apollo/federation-internals).
// stdin: {"supergraphs": [sdl, ...]}; stdout: {"results": [{"api": sdl} | {"error": text}]}.
import { createRequire } from "node:module";
import { resolve } from "node:path";

const require = createRequire(resolve(process.argv[2], "package.json"));
const { Supergraph, printSchema, ROUTER_SUPPORTED_SUPERGRAPH_FEATURES } = require("@apollo/federation-internals");

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = input.supergraphs.map((sdl) => {
  try {
    const supergraph = Supergraph.build(sdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES });
    return { api: printSchema(supergraph.apiSchema()) };
  } catch (e) {
    return { error: String((e && e.message) || e) };
  }
});
process.stdout.write(JSON.stringify({ results }));
