/**
 * The simulator of the chaos run, in its own process, with a ledger of every global token it
 * handed out: WeChat's own view of the run, independent of what the hubs report. The ledger
 * wraps the simulator's token table (`state.tokens`, which in-process users may look into) to
 * record each successful `/cgi-bin/token` and `/cgi-bin/stable_token` answer, and which tokens
 * were later presented on an API call. `GET /__chaos/ledger` returns it; tokens appear only as
 * short SHA-256 prefixes.
 *
 * Speaks bench/chaos/child.ts's protocol: `ready {url}`, then serves until SIGTERM or until its
 * stdin closes (the harness died), so it never outlives the run.
 */
import { createHash } from 'node:crypto';
import { createSimulator } from '../../src/sim/index.js';
import type { GlobalToken } from '../../src/sim/state/global-tokens.js';
import { quotaDay } from '../../src/wechat/quota-day.js';
import { childProtocol } from './child.js';
import type { LedgerEntry, SimLedger } from './ledger.js';

const { app, state } = createSimulator();
const tokens = state.tokens;

interface Row {
  readonly entry: Omit<LedgerEntry, 'diesAt' | 'used'>;
  readonly token: GlobalToken;
}
const rows: Row[] = [];
const used = new Set<string>();
const hashOf = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 16);

function note(token: GlobalToken, at: number, call: LedgerEntry['call']): GlobalToken {
  rows.push({
    entry: {
      seq: rows.length,
      appid: token.appid,
      call,
      at,
      hash: hashOf(token.value),
      issuedAt: token.issuedAt,
      expiresAt: token.expiresAt,
    },
    token,
  });
  return token;
}

const issueClassic = tokens.issueClassic.bind(tokens);
tokens.issueClassic = (appid, overlapMs, now) => note(issueClassic(appid, overlapMs, now), now, 'token');
const stable = tokens.stable.bind(tokens);
tokens.stable = (appid, now) => note(stable(appid, now), now, 'stable_token');
const forceStable = tokens.forceStable.bind(tokens);
tokens.forceStable = (appid, now, allowForce) => {
  const token = forceStable(appid, now, allowForce);
  return token ? note(token, now, 'stable_token:force') : token;
};
const lookup = tokens.lookup.bind(tokens);
tokens.lookup = (value) => {
  const token = lookup(value);
  if (token) used.add(token.value);
  return token;
};

app.get('/__chaos/ledger', async () => {
  const quota: Record<string, Record<string, number>> = {};
  for (const { entry } of rows) {
    if (entry.call !== 'token') continue;
    const days = quota[entry.appid] ?? {};
    quota[entry.appid] = days;
    const day = quotaDay(entry.at);
    days[day] = (days[day] ?? 0) + 1;
  }
  const ledger: SimLedger = {
    now: state.now(),
    entries: rows.map(({ entry, token }) => ({
      ...entry,
      diesAt: Number.isFinite(token.diesAt) ? token.diesAt : null,
      used: used.has(token.value),
    })),
    quota,
  };
  return ledger;
});

await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
const { send, serve } = childProtocol(async () => ({}));
send({ type: 'ready', url: `http://127.0.0.1:${port}` });
await serve();
await stop();
