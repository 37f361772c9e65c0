// What the plan panel shows: the current operation's plan (a dry run, refreshed as the
// operation is edited) and, after a run, the run's plan and each subgraph fetch.
const listeners = new Set();
let state = { plan: null, planError: null, run: null };

export const store = {
  get: () => state,
  set(patch) {
    state = { ...state, ...patch };
    for (const listener of listeners) listener();
  },
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
