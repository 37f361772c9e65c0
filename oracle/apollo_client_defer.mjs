// Runs a @defer query through @apollo/client's HttpLink (with the Defer20220824Handler,
// Apollo Client's reader of `multipart/mixed;deferSpec=20220824`) against a GraphQL
// endpoint, and prints one JSON line per result the client emits, as it emits it
// (`{"result": {data, dataState, error}}`), until the query completes; then one line
// with the Accept header the link sent and the response's content type
// (`{"exchanges": [...]}`).
//
//   node apollo_client_defer.mjs --url URL --query 'query Q { ... @defer { ... } }'
//
// Used by tests/server/test_defer_apollo_client.py; never by the router itself.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { Defer20220824Handler } from "@apollo/client/incremental";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    query: { type: "string" },
  },
});

const exchanges = [];
async function recordingFetch(input, init = {}) {
  const response = await fetch(input, init);
  exchanges.push({
    accept: new Headers(init.headers ?? {}).get("accept"),
    contentType: response.headers.get("content-type"),
  });
  return response;
}

const client = new ApolloClient({
  link: new HttpLink({ uri: values.url, fetch: recordingFetch }),
  cache: new InMemoryCache(),
  incrementalHandler: new Defer20220824Handler(),
});

await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("no complete result")), 20000);
  client
    .watchQuery({ query: gql(values.query), fetchPolicy: "no-cache" })
    .subscribe({
      next(result) {
        if (result.loading && result.data === undefined) return;
        const line = {
          data: result.data ?? null,
          dataState: result.dataState ?? null,
          error: result.error ? String(result.error.message ?? result.error) : null,
        };
        process.stdout.write(JSON.stringify({ result: line }) + "\n");
        if (result.dataState === "complete" || result.error) {
          clearTimeout(timer);
          resolve();
        }
      },
      error(error) {
        clearTimeout(timer);
        reject(error);
      },
    });
});
process.stdout.write(JSON.stringify({ exchanges }) + "\n");
process.exit(0);
