// The "Query plan" panel: the plan in Apollo's text format and as a tree, and after a
// run each subgraph fetch's timing and size.
import React, { useState, useSyncExternalStore } from 'react';
import { store } from './store.js';

function bytes(n) {
  if (n == null) return '';
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

function ms(n) {
  return n == null ? '' : `${n.toFixed(1)} ms`;
}

function PlanNode({ node }) {
  if (!node) return null;
  const kind = node.kind;
  if (kind === 'Fetch') {
    return (
      <li className="plan-node plan-fetch" data-kind="Fetch">
        <span className="plan-kind">Fetch</span>{' '}
        <span className="plan-service">{node.serviceName}</span>
        {node.requires ? <span className="plan-note"> (entities)</span> : null}
        <pre className="plan-operation">{node.operation}</pre>
      </li>
    );
  }
  if (kind === 'Flatten') {
    return (
      <li className="plan-node" data-kind="Flatten">
        <span className="plan-kind">Flatten</span>{' '}
        <code>{(node.path || []).join('.')}</code>
        <ul>
          <PlanNode node={node.node} />
        </ul>
      </li>
    );
  }
  if (kind === 'Condition') {
    return (
      <li className="plan-node" data-kind="Condition">
        <span className="plan-kind">Condition</span> <code>${node.condition}</code>
        <ul>
          {node.ifClause ? (
            <li>
              if <ul><PlanNode node={node.ifClause} /></ul>
            </li>
          ) : null}
          {node.elseClause ? (
            <li>
              else <ul><PlanNode node={node.elseClause} /></ul>
            </li>
          ) : null}
        </ul>
      </li>
    );
  }
  const children = node.nodes || (node.primary ? [node.primary.node] : []);
  return (
    <li className="plan-node" data-kind={kind}>
      <span className="plan-kind">{kind}</span>
      <ul>
        {children.map((child, i) => (
          <PlanNode key={i} node={child} />
        ))}
      </ul>
    </li>
  );
}

function Fetches({ run }) {
  if (!run) return <p className="plan-muted">Run the operation to see its fetches.</p>;
  const fetches = run.fetches;
  const end = Math.max(run.totalMs, ...fetches.map((f) => f.startMs + f.durationMs));
  if (run.events !== undefined) {
    // A subscription: its events' fetches run on the router, one set per event.
    return (
      <p className="plan-summary" data-testid="run-summary">
        Subscription over SSE: HTTP {run.status}, {run.events} event
        {run.events === 1 ? '' : 's'} received
        {run.events ? `, the last ${ms(run.totalMs)} after the run started` : ''}
      </p>
    );
  }
  return (
    <div>
      <p className="plan-summary" data-testid="run-summary">
        HTTP {run.status}, {ms(run.totalMs)} in the browser, {bytes(run.bytes)}
        {run.parts ? ` in ${run.parts} @defer part${run.parts === 1 ? '' : 's'}` : ''};{' '}
        {fetches.length} subgraph fetch{fetches.length === 1 ? '' : 'es'}
        {run.parts ? ' (the first part\'s)' : ''}
      </p>
      <table className="plan-fetches" data-testid="fetch-timings">
        <thead>
          <tr>
            <th>subgraph</th>
            <th>start</th>
            <th>time</th>
            <th>sent</th>
            <th>received</th>
            <th>status</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {fetches.map((f, i) => (
            <tr key={i} title={f.operationName || ''}>
              <td>{f.subgraph}</td>
              <td>{ms(f.startMs)}</td>
              <td>{ms(f.durationMs)}</td>
              <td>{bytes(f.requestBytes)}</td>
              <td>{bytes(f.responseBytes)}</td>
              <td>{f.error || f.status}</td>
              <td className="plan-bar-cell">
                <div
                  className="plan-bar"
                  style={{
                    marginLeft: `${(100 * f.startMs) / end}%`,
                    width: `${Math.max(1, (100 * f.durationMs) / end)}%`,
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PlanPanel() {
  const { plan, planError, run } = useSyncExternalStore(store.subscribe, store.get);
  const [view, setView] = useState('text');
  return (
    <div className="plan-panel" data-testid="plan-panel">
      <div className="graphiql-doc-explorer-title">Query plan</div>
      <div className="plan-tabs">
        <button type="button" aria-pressed={view === 'text'} onClick={() => setView('text')}>
          text
        </button>
        <button type="button" aria-pressed={view === 'tree'} onClick={() => setView('tree')}>
          tree
        </button>
      </div>
      {planError ? <pre className="plan-error">{planError}</pre> : null}
      {plan && view === 'text' ? (
        <pre className="plan-text" data-testid="plan-text">{plan.text}</pre>
      ) : null}
      {plan && view === 'tree' ? (
        <ul className="plan-tree" data-testid="plan-tree">
          <PlanNode node={plan.object && plan.object.node} />
        </ul>
      ) : null}
      {!plan && !planError ? <p className="plan-muted">Type an operation.</p> : null}
      <div className="graphiql-doc-explorer-title plan-subtitle">Fetches</div>
      <Fetches run={run} />
    </div>
  );
}

export function PlanIcon() {
  return (
    <svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" strokeWidth="1.5">
      <rect x="3" y="3" width="7" height="5" rx="1" />
      <rect x="14" y="10" width="7" height="5" rx="1" />
      <rect x="14" y="17" width="7" height="5" rx="1" />
      <path d="M6.5 8v11.5H14M6.5 12.5H14" />
    </svg>
  );
}
