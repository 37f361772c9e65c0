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

// The events of a subscription answered as Server-Sent Events (graphql-sse's
// distinct-connections mode): each `event: next` block's data as it arrives, until
// `event: complete`. Comment lines (`:`, the router's idle heartbeat) are skipped.
async function* serverSentEvents(response, signal, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = block.split('\n');
        const kind = lines.find((l) => l.startsWith('event:'));
        if (kind && kind.slice(6).trim() === 'complete') return;
        const data = lines
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (!data) continue;
        onEvent();
        yield JSON.parse(data);
      }
      let read;
      try {
        read = await reader.read();
      } catch (error) {
        if (signal.aborted) return; // stopped by the user: an end, not an error
        throw error;
      }
      if (read.done) return;
      buffer += decoder.decode(read.value, { stream: true });
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

// Whether the operation a run sends is a subscription.
export function isSubscription(query, operationName) {
  try {
    const operations = parse(query).definitions.filter(
      (d) => d.kind === 'OperationDefinition',
    );
    const chosen = operationName
      ? operations.find((d) => d.name && d.name.value === operationName)
      : operations.length === 1 && operations[0];
    return Boolean(chosen) && chosen.operation === 'subscription';
  } catch {
    return false;
  }
}

// A subscription: opened over SSE (a POST with content-type application/json, so CSRF
// prevention lets it through); GraphiQL shows each event as it arrives. Its stop button
// calls `return()`, which on a generator waits for the pending read (until the next
// event): ours aborts the request at once, which ends the subscription on the router.
function subscription(endpoint, params, headers, started) {
  const controller = new AbortController();
  const events = subscriptionEvents(endpoint, params, headers, started, controller.signal);
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next: () => events.next(),
    return: (value) => {
      controller.abort();
      return events.return(value);
    },
    throw: (error) => {
      controller.abort();
      return events.throw(error);
    },
  };
}

async function* subscriptionEvents(endpoint, params, headers, started, signal) {
  let response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      credentials: 'same-origin',
      headers: jsonHeaders({ ...headers, accept: 'text/event-stream, application/json' }),
      body: JSON.stringify(params),
      signal,
    });
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  const type = response.headers.get('content-type') || '';
  if (!type.startsWith('text/event-stream')) {
    // Refused before it opened (authentication, validation...): one JSON answer.
    const text = await response.text();
    store.set({
      run: { status: response.status, totalMs: performance.now() - started, bytes: text.length, fetches: [], plan: null },
    });
    try {
      yield JSON.parse(text);
    } catch {
      yield { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
    return;
  }
  let events = 0;
  store.set({ run: { status: response.status, totalMs: 0, bytes: 0, fetches: [], plan: null, events } });
  for await (const body of serverSentEvents(response, signal, () => (events += 1))) {
    store.set({ run: { ...store.get().run, totalMs: performance.now() - started, events } });
    yield body;
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
    if (isSubscription(params.query, params.operationName)) {
      return subscription(endpoint, params, (options && options.headers) || {}, started);
    }
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
