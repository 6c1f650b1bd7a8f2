// graphql-http's GraphQL-over-HTTP server audit against one URL, every
// request carrying the bearer token. Prints one JSON line per audit:
// {"id", "name", "status", "reason"}.
//   node audit.mjs <url> <token>
import { auditServer } from 'graphql-http';

const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};
for (const r of await auditServer({ url, fetchFn })) {
  console.log(JSON.stringify({ id: r.id, name: r.name, status: r.status, reason: r.reason }));
}
