// A subgraph served by Apollo Server with its subscription callback plugin
// (@apollo/server/plugin/subscriptionCallback): what Apollo Router's callback mode is
// made for, so our router's callback mode is checked against Apollo's own subgraph side.
//
//   node oracle/apollo_server_callback_subgraph.mjs
//
// Prints `apollo server subgraph on <url>` once it listens (a free loopback port).
// `productTicks(upcs, everyMs)` yields one Product per upc, `everyMs` apart, then ends
// (the plugin sends `complete`); heartbeats are the plugin's.
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginSubscriptionCallback } from '@apollo/server/plugin/subscriptionCallback';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSchema } from 'graphql';
import { setTimeout as sleep } from 'node:timers/promises';

const schema = buildSchema(`
  type Product { upc: String! }
  type Query { ticks: Int }
  type Subscription { productTicks(upcs: [String!]!, everyMs: Int! = 300): Product! }
`);
schema.getSubscriptionType().getFields().productTicks.subscribe = async function* (
  _root,
  { upcs, everyMs },
) {
  for (const upc of upcs) {
    await sleep(everyMs);
    yield { productTicks: { upc } };
  }
};

const server = new ApolloServer({
  schema,
  plugins: [ApolloServerPluginSubscriptionCallback()],
});
const { url } = await startStandaloneServer(server, {
  listen: { host: '127.0.0.1', port: 0 },
});
console.log(`apollo server subgraph on ${url}`);
