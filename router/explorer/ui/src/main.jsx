// The explorer page: GraphiQL over the router's endpoint, with a query plan panel.
// Everything comes from the router itself: the page, this bundle and the schema.
import React, { useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { buildSchema } from 'graphql';
import 'graphiql/graphiql.css';
import './explorer.css';
import { dryRun, makeFetcher } from './router.js';
import { PlanIcon, PlanPanel } from './plan_panel.jsx';
import { store } from './store.js';

const root = document.getElementById('explorer');
const endpoint = root.dataset.endpoint;
const schemaUrl = root.dataset.schema;

const DEFAULT_QUERY = `# The router's explorer: run an operation (Ctrl-Enter) and open
# "Query plan" on the left to see how the router splits it across subgraphs.
query TopProducts {
  topProducts(first: 2) {
    name
    price
    inStock
    reviews {
      body
      author {
        username
      }
    }
  }
}
`;

const planPlugin = { title: 'Query plan', icon: PlanIcon, content: PlanPanel };

function useDebouncedPlan(edited) {
  const timer = useRef(null);
  useEffect(() => {
    if (!edited.query || !edited.query.trim()) return undefined;
    clearTimeout(timer.current);
    timer.current = setTimeout(async () => {
      try {
        const { plan, error } = await dryRun(endpoint, edited);
        store.set({ plan, planError: error });
      } catch (e) {
        store.set({ plan: null, planError: String(e) });
      }
    }, 400);
    return () => clearTimeout(timer.current);
  }, [edited]);
}

function Explorer({ schema }) {
  const fetcher = useMemo(() => makeFetcher(endpoint), []);
  const [visible, setVisible] = useState(planPlugin);
  const [edited, setEdited] = useState({ query: DEFAULT_QUERY, variables: '', operationName: undefined });
  useDebouncedPlan(edited);
  return (
    <GraphiQL
      fetcher={fetcher}
      schema={schema}
      defaultQuery={DEFAULT_QUERY}
      plugins={[planPlugin]}
      visiblePlugin={visible}
      onTogglePluginVisibility={setVisible}
      onEditQuery={(query) => setEdited((e) => ({ ...e, query }))}
      onEditVariables={(variables) => setEdited((e) => ({ ...e, variables }))}
      onEditOperationName={(operationName) => setEdited((e) => ({ ...e, operationName: operationName || undefined }))}
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
    />
  );
}

async function loadSchema() {
  // The API schema from the router's explorer route (so completion works with
  // introspection off, when the explorer was turned on explicitly); without it GraphiQL
  // introspects through the fetcher.
  try {
    const response = await fetch(schemaUrl, { credentials: 'same-origin' });
    if (!response.ok) return undefined;
    return buildSchema(await response.text());
  } catch {
    return undefined;
  }
}

loadSchema().then((schema) => {
  createRoot(root).render(<Explorer schema={schema} />);
});
