// Talking to the router: every request is a POST with content-type application/json, so
// the router's CSRF protection lets it through (a browser preflights such requests).
import { parse } from 'graphql';
import { store } from './store.js';

const PLAN_HEADER = 'apollo-expose-query-plan';
const FETCHES_HEADER = 'x-router-fetch-timings';

function jsonHeaders(extra) {
  return {
    accept: 'application/graphql-response+json, application/json',
    'content-type': 'application/json',
    ...extra,
  };
}

// A run also accepts the router's incremental answer to an operation with @defer.
const RUN_ACCEPT = 'multipart/mixed;deferSpec=20220824, ' + jsonHeaders().accept;
const PART_DELIMITER = '\r\n--graphql';

// The payloads of a `multipart/mixed;deferSpec=20220824` body, each as its part arrives
// (Apollo Router's framing: `\r\n--graphql\r\n<headers>\r\n\r\n<json>`, closed by
// `\r\n--graphql--`).
async function* multipartPayloads(response, onBytes) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      for (;;) {
        const head = buffer.indexOf('\r\n\r\n');
        const end = head < 0 ? -1 : buffer.indexOf(PART_DELIMITER, head);
        if (end < 0) break;
        const part = buffer.slice(head + 4, end);
        buffer = buffer.slice(end + PART_DELIMITER.length);
        yield JSON.parse(part);
        if (buffer.startsWith('--')) return;
      }
      const { done, value } = await reader.read();
      if (done) return;
      onBytes(value.length);
      buffer += decoder.decode(value, { stream: true });
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// The router's additions to a response, taken out so the result pane shows what any
// client would get.
function takeExtensions(body) {
  const extensions = body && body.extensions;
  if (!extensions || typeof extensions !== 'object') return {};
  const plan = extensions.apolloQueryPlan || null;
  const fetches = extensions.routerFetchTimings || null;
  delete extensions.apolloQueryPlan;
  delete extensions.routerFetchTimings;
  if (Object.keys(extensions).length === 0) delete body.extensions;
  return { plan, fetches };
}

// GraphiQL learns the operation name from the editor a moment after an edit, so a run
// right after typing can carry the previous operation's name: keep a name only when the
// document has that operation, and leave it out when the document has just one.
export function settledOperationName(query, operationName) {
  let names;
  try {
    names = parse(query)
      .definitions.filter((d) => d.kind === 'OperationDefinition')
      .map((d) => (d.name ? d.name.value : null));
  } catch {
    return operationName || undefined;
  }
  if (operationName && names.includes(operationName)) return operationName;
  return names.length === 1 ? undefined : operationName || undefined;
}

export function makeFetcher(endpoint) {
  return async (graphiqlParams, options) => {
    const params = {
      ...graphiqlParams,
      operationName: settledOperationName(graphiqlParams.query, graphiqlParams.operationName),
    };
    const started = performance.now();
    const response = await fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: jsonHeaders({
        ...((options && options.headers) || {}),
        [PLAN_HEADER]: 'true',
        [FETCHES_HEADER]: 'true',
        accept: RUN_ACCEPT,
      }),
      body: JSON.stringify(params),
    });
    const type = response.headers.get('content-type') || '';
    if (type.startsWith('multipart/mixed')) {
      return incremental(response, started);
    }
    const text = await response.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
    const { plan, fetches } = takeExtensions(body);
    store.set({
      run: {
        status: response.status,
        totalMs: performance.now() - started,
        bytes: text.length,
        fetches: fetches || [],
        plan,
      },
    });
    if (plan) store.set({ plan, planError: null });
    return body;
  };
}

// A deferred operation's payloads for GraphiQL, which merges each into the result pane
// as it comes (`hasNext`, `incremental`); the run's figures cover the whole stream.
async function* incremental(response, started) {
  let bytes = 0;
  let first = true;
  for await (const payload of multipartPayloads(response, (n) => (bytes += n))) {
    if (first) {
      first = false;
      const { plan, fetches } = takeExtensions(payload);
      store.set({
        run: { status: response.status, totalMs: 0, bytes, fetches: fetches || [], plan },
      });
      if (plan) store.set({ plan, planError: null });
    }
    const run = store.get().run;
    store.set({
      run: { ...run, totalMs: performance.now() - started, bytes, parts: (run.parts || 0) + 1 },
    });
    yield payload;
  }
}

// The plan of the operation being edited, without running it (`dry-run`).
export async function dryRun(endpoint, { query, variables, operationName, headers }) {
  let parsedVariables;
  try {
    parsedVariables = variables && variables.trim() ? JSON.parse(variables) : undefined;
  } catch {
    parsedVariables = undefined;
  }
  const response = await fetch(endpoint, {
    method: 'POST',
    credentials: 'same-origin',
    headers: jsonHeaders({ ...(headers || {}), [PLAN_HEADER]: 'dry-run' }),
    body: JSON.stringify({
      query,
      variables: parsedVariables,
      operationName: settledOperationName(query, operationName),
    }),
  });
  const body = await response.json();
  const plan = body.extensions && body.extensions.apolloQueryPlan;
  if (plan) return { plan, error: null };
  const errors = (body.errors || []).map((e) => e.message).join('\n');
  return { plan: null, error: errors || `HTTP ${response.status}` };
}
