"""GraphQL subscriptions: client transports, subgraph WebSockets, event completion.

- `websocket`: the client side of graphql-transport-ws at the GraphQL path.
- `http_stream`: Server-Sent Events and Apollo's multipart subscriptions over HTTP.
- `hub`, `upstream`, `listener`: one WebSocket per distinct subgraph subscription
  (deduplication), its events fanned out to each client's bounded queue, limits.
- `callback_upstream`, `callback`, `callback_server`: Apollo's HTTP callback mode in
  place of the WebSocket (`subscription.mode.callback`): the subscription sent over
  HTTP, the endpoint subgraphs POST their messages to, and where it listens.
- `events`: each event completed by the plan's rest and shaped for its client.
- `codes`: the error codes of all of it.

The pipeline (`router.server.pipeline.Pipeline.subscribe`) and the engine
(`FederatedEngine.subscribe`) open a subscription as any request runs: plugins, limits,
authorization, planning (`planner` plans Apollo's `Subscription` node).
"""
