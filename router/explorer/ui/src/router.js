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
      }),
      body: JSON.stringify(params),
    });
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
