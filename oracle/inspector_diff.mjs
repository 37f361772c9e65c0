// Diffs schema pairs with @graphql-inspector/core: the reference for `router check`'s
// change classes (tests/schema_diff/test_inspector_differential.py).
// stdin: JSON {"pairs": [{"old": sdl, "new": sdl}, ...]}.
// stdout: JSON {"results": [[{type, level, path, message, meta}], ...]}, one list per pair, in order
// (`meta` is the change's own record: root changes have no path, and a directive argument's
// addition names the argument only there).
// A pair whose SDL does not build gets [{type: "EXCEPTION", level: null, path: null, message}].
import { diff } from "@graphql-inspector/core";
import { buildSchema } from "graphql";

async function diffOne(pair) {
  try {
    const changes = await diff(buildSchema(pair.old), buildSchema(pair.new));
    return changes.map((c) => ({
      type: c.type,
      level: c.criticality.level,
      path: c.path ?? null,
      message: c.message,
      meta: c.meta ?? {},
    }));
  } catch (e) {
    return [{ type: "EXCEPTION", level: null, path: null, message: String((e && e.stack) || e), meta: {} }];
  }
}

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const results = [];
for (const pair of input.pairs) results.push(await diffOne(pair));
process.stdout.write(JSON.stringify({ results }));
