// Apollo Client with its persisted-queries link (automatic persisted
// queries, SHA-256 of the printed document) against the gateway. Runs the
// same query twice, the second time on a new client, optionally against
// another instance, and a refused query. Prints one JSON object with what
// each run sent and got.
//   node apollo.mjs <url> <token> [<second url>]
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { createHash } from 'node:crypto';

const [url, token, secondURL = url] = process.argv.slice(2);

function client(uri, sent, useGET = false) {
  const spy = (input, init = {}) => {
    const u = new URL(typeof input === 'string' ? input : input.url);
    const body = init.body ? JSON.parse(init.body) : {
      query: u.searchParams.get('query') ?? undefined,
      extensions: JSON.parse(u.searchParams.get('extensions') ?? 'null'),
    };
    sent.push({ method: init.method ?? 'GET', hasQuery: typeof body.query === 'string', hash: body.extensions?.persistedQuery?.sha256Hash });
    return fetch(input, init);
  };
  return new ApolloClient({
    cache: new InMemoryCache(),
    link: ApolloLink.from([
      new PersistedQueryLink({ sha256: (q) => createHash('sha256').update(q).digest('hex'), useGETForHashedQueries: useGET }),
      new HttpLink({ uri, headers: { authorization: `Bearer ${token}` }, fetch: spy }),
    ]),
  });
}

const CUSTOMERS = gql`
  query Customers($n: Int) {
    customers(first: $n) { totalCount edges { node { id accountName balance { available { amount currency } } } } }
  }
`;
const TOO_DEEP = gql`
  query Deep { __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } } } } } } } } } } }
`;

async function run(uri, useGET) {
  const sent = [];
  try {
    const r = await client(uri, sent, useGET).query({ query: CUSTOMERS, variables: { n: 3 }, fetchPolicy: 'network-only' });
    return { sent, customers: r.data?.customers?.edges?.length ?? 0, error: r.error?.message };
  } catch (e) {
    return { sent, error: e.message };
  }
}

const first = await run(url, false);
const second = await run(secondURL, false);
const get = await run(secondURL, true);
const refusedSent = [];
let refused;
try {
  const r = await client(url, refusedSent).query({ query: TOO_DEEP, fetchPolicy: 'network-only' });
  refused = { codes: (r.error?.errors ?? []).map((e) => e.extensions?.code) };
} catch (e) {
  refused = { codes: (e.errors ?? []).map((x) => x.extensions?.code), message: e.message };
}
console.log(JSON.stringify({ first, second, get, refused: { ...refused, sent: refusedSent } }));
