// ws-check.mjs drives Jalon's subscriptions with the reference
// graphql-transport-ws client (graphql-ws over ws), as a phone app would,
// and prints what the app saw as one JSON line. Run by internal/app's
// TestGraphQLWSClient: node ws-check.mjs <scenario> '<json args>'.
//
// Scenarios:
//   bad-token  subscribe with a bad token; on the error the app refreshes
//              its token (refreshSession) and subscribes again.
//   revoked    subscribe, then log the session out while subscribed.
//   cap        two clients of one user, with a cap of one socket per user.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [scenario, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs);
const httpURL = args.url;
const wsURL = httpURL.replace(/^http/, 'ws') + '/graphql';
const SUBSCRIPTION = 'subscription { notificationAdded { id } }';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// newClient counts connection attempts and acknowledged connections.
function newClient(token) {
  const counts = { attempts: 0, connected: 0 };
  const state = { token };
  const client = createClient({
    url: wsURL,
    webSocketImpl: WebSocket,
    connectionParams: () => ({ authToken: state.token }),
    // The library's defaults, but quick: a client that would retry shows
    // it within the test's pause.
    retryAttempts: 5,
    retryWait: () => sleep(10),
    on: {
      connecting: () => counts.attempts++,
      connected: () => counts.connected++,
    },
  });
  return { client, counts, state };
}

// subscribe starts the subscription; the promise resolves with the first
// end the app learns of (an error, with a close event's code, or a
// complete), and onConnected runs once the server acknowledged.
function subscribe(c, onConnected) {
  return new Promise((resolve) => {
    const off = c.client.on('connected', () => onConnected && onConnected());
    c.client.subscribe(
      { query: SUBSCRIPTION },
      {
        next: (v) => resolve({ event: 'next', value: v }),
        error: (err) => {
          off();
          resolve({ event: 'error', code: err?.code ?? null, reason: err?.reason ?? String(err) });
        },
        complete: () => {
          off();
          resolve({ event: 'complete' });
        },
      },
    );
  });
}

async function graphql(query, variables, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  const res = await fetch(httpURL + '/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return res.json();
}

async function badToken() {
  const c = newClient('not-a-token');
  const first = await subscribe(c);
  await sleep(500); // any retry would show here
  const attemptsBeforeRefresh = c.counts.attempts;
  // What the app does on 4401: refresh the token, then subscribe again.
  const refreshed = await graphql('mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }', { t: args.refreshToken });
  c.state.token = refreshed.data.refreshSession.accessToken;
  let acknowledged;
  const ack = new Promise((r) => (acknowledged = r));
  subscribe(c, acknowledged);
  await ack;
  const out = { first, attemptsBeforeRefresh, attempts: c.counts.attempts, connected: c.counts.connected };
  await c.client.dispose();
  return out;
}

async function revoked() {
  const c = newClient(args.accessToken);
  const end = subscribe(c, async () => {
    await sleep(100);
    const r = await graphql('mutation($t: String!) { logout(refreshToken: $t) }', { t: args.refreshToken }, args.accessToken);
    if (!r.data?.logout) console.error('logout failed', JSON.stringify(r));
  });
  const first = await end;
  await sleep(500);
  const out = { first, attempts: c.counts.attempts, connected: c.counts.connected };
  await c.client.dispose();
  return out;
}

async function cap() {
  const a = newClient(args.accessToken);
  let acknowledged;
  const ack = new Promise((r) => (acknowledged = r));
  subscribe(a, acknowledged);
  await ack;
  const b = newClient(args.accessToken);
  const first = await subscribe(b);
  await sleep(500);
  const out = { first, attempts: b.counts.attempts, connected: b.counts.connected };
  await a.client.dispose();
  await b.client.dispose();
  return out;
}

const scenarios = { 'bad-token': badToken, revoked, cap };
const timeout = setTimeout(() => {
  console.log(JSON.stringify({ timeout: true }));
  process.exit(2);
}, 20000);
const result = await scenarios[scenario]();
clearTimeout(timeout);
console.log(JSON.stringify(result));
process.exit(0);
