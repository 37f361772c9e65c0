// Runs an operation through @apollo/client's PersistedQueryLink + HttpLink against a
// GraphQL endpoint, as a browser app would, and prints one JSON line: each request the
// client sent (method, URL query parameters, JSON body) and each result it got.
//
//   node apollo_client_apq.mjs --url URL --query 'query Q { ... }' [--times 3]
//        [--get] [--header name=value ...]
//
// --get is the link's `useGETForHashedQueries` (hash-only requests as GET). Used by
// tests/cache/test_apollo_client.py; never by the router itself.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    query: { type: "string" },
    times: { type: "string", default: "1" },
    get: { type: "boolean", default: false },
    header: { type: "string", multiple: true, default: [] },
  },
});

const requests = [];
async function recordingFetch(input, init = {}) {
  const url = new URL(String(input));
  requests.push({
    method: init.method ?? "GET",
    params: Object.fromEntries(url.searchParams),
    body: init.body ? JSON.parse(init.body) : null,
    headers: Object.fromEntries(new Headers(init.headers ?? {})),
  });
  return fetch(input, init);
}

const headers = Object.fromEntries(
  values.header.map((pair) => {
    const at = pair.indexOf("=");
    return [pair.slice(0, at), pair.slice(at + 1)];
  }),
);
const link = new PersistedQueryLink({
  sha256: (text) => createHash("sha256").update(text).digest("hex"),
  useGETForHashedQueries: values.get,
}).concat(new HttpLink({ uri: values.url, fetch: recordingFetch, headers }));
const client = new ApolloClient({ link, cache: new InMemoryCache() });

const results = [];
for (let i = 0; i < Number(values.times); i++) {
  const result = await client.query({
    query: gql(values.query),
    fetchPolicy: "no-cache",
  });
  results.push({
    data: result.data ?? null,
    error: result.error ? String(result.error.message ?? result.error) : null,
  });
}
process.stdout.write(JSON.stringify({ requests, results }) + "\n");
