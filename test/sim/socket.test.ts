import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../src/sim/index.js';
import { eventually } from '../store/helpers.js';
import { APPID, RID, SECRET, twoAccounts } from './support/sim.js';

const running: RunningSimulator[] = [];
const agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
  await Promise.all(agents.splice(0).map((agent) => agent.destroy()));
});

async function start(fixture = twoAccounts()): Promise<RunningSimulator> {
  const sim = await startSimulator({ port: 0, host: '127.0.0.1', fixture });
  running.push(sim);
  return sim;
}

/**
 * What close() may take: far below the hang (forever) and the delay (60 s) it must not wait for,
 * with room for a busy machine.
 */
const CLOSE_BOUND_MS = 10_000;

function agent(): Agent {
  const a = new Agent({ keepAliveTimeout: 1000 });
  agents.push(a);
  return a;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const res = await request(url, { headers, dispatcher: agent() });
  return (await res.body.json()) as Record<string, unknown>;
}

const tokenPath = `/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`;

describe('over a real socket on 127.0.0.1', () => {
  it('startSimulator listens on a free port and reports its URL', async () => {
    const sim = await start();
    expect(sim.url).toBe(`http://127.0.0.1:${sim.port}`);
    expect(sim.port).toBeGreaterThan(0);
    expect((await getJson(`${sim.url}${tokenPath}`)).expires_in).toBe(7200);
  });

  it('checks ipWhitelist against the socket address (and X-Sim-Client-Ip when sent)', async () => {
    const allowed = await start(twoAccounts({ ipWhitelist: ['127.0.0.1'] }));
    expect((await getJson(`${allowed.url}${tokenPath}`)).expires_in).toBe(7200);
    expect((await getJson(`${allowed.url}${tokenPath}`, { 'x-sim-client-ip': '10.0.0.9' })).errcode).toBe(
      40164,
    );

    const refused = await start(twoAccounts({ ipWhitelist: ['10.0.0.1'] }));
    const body = await getJson(`${refused.url}${tokenPath}`);
    expect(body.errcode).toBe(40164);
    expect(body.errmsg).toMatch(/^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist /);
    expect(body.errmsg).toMatch(RID);
    expect((await getJson(`${refused.url}${tokenPath}`, { 'x-sim-client-ip': '10.0.0.1' })).expires_in).toBe(
      7200,
    );
  });

  it('a hang fault never answers: the client gives up, the server keeps serving', async () => {
    const sim = await start();
    await request(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ path: '/cgi-bin/token', rate: 1, hang: true, count: 1 }),
      dispatcher: agent(),
    });
    const started = performance.now();
    await expect(
      request(`${sim.url}${tokenPath}`, { dispatcher: agent(), signal: AbortSignal.timeout(300) }),
    ).rejects.toThrow();
    expect(performance.now() - started).toBeGreaterThanOrEqual(250);
    expect((await getJson(`${sim.url}${tokenPath}`)).expires_in).toBe(7200);
  });

  it('close() does not hang on requests a hang fault holds: it destroys their sockets', async () => {
    const sim = await startSimulator({ port: 0, fixture: twoAccounts() });
    await request(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ rate: 1, hang: true }),
      dispatcher: agent(),
    });
    const hung = [1, 2, 3].map(() =>
      request(`${sim.url}${tokenPath}`, { dispatcher: agent() }).then(
        () => 'answered',
        () => 'failed',
      ),
    );
    // A busy machine may take a while to deliver the requests.
    await eventually(() => sim.state.held.size >= 3, 10_000);
    expect(sim.state.held.size).toBe(3);
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(CLOSE_BOUND_MS);
    expect(await Promise.all(hung)).toEqual(['failed', 'failed', 'failed']);
    expect(sim.state.held.size).toBe(0);
  });

  it('close() does not wait for a pending fault delay or idle keep-alive sockets', async () => {
    const sim = await startSimulator({ port: 0, fixture: twoAccounts() });
    const keepAlive = agent();
    await request(`${sim.url}/__sim/stats`, { dispatcher: keepAlive }).then((r) => r.body.text());
    await request(`${sim.url}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ rate: 1, delayMs: 60_000 }),
      dispatcher: agent(),
    });
    const delayed = request(`${sim.url}${tokenPath}`, { dispatcher: agent() }).then(
      () => 'answered',
      () => 'failed',
    );
    await eventually(() => sim.state.timers.size >= 1, 10_000);
    expect(sim.state.timers.size).toBe(1);
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(CLOSE_BOUND_MS);
    expect(await delayed).toBe('failed');
  });

  it('rejects when the port is taken, and releases everything', async () => {
    const first = await start();
    await expect(startSimulator({ port: first.port, fixture: null })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
