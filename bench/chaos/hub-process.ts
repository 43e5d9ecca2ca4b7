/**
 * One hub of the chaos fleet, in its own OS process: `startHub` exactly as `wxhub serve` runs it
 * (proactive refreshing on, pino JSON on stderr, the shipped token-engine defaults), except that
 * its clock follows the simulator's virtual clock. The harness sends `{"cmd":"clock","offset":MS}`
 * after each move of the simulator's clock, as test/fleet does, so every hub sees the same time.
 *
 * Env: `CHAOS_HUB_CONFIG` (wxhub.config.json as JSON; `listen.port` is fixed so a restarted hub
 * comes back on the same address), `CHAOS_CLOCK_OFFSET` (ms), `CHAOS_HUB_NAME`, and
 * `CHAOS_PG_SCHEMA` (a private PostgreSQL schema when the database is PostgreSQL).
 *
 * Stdout: `ready {url, pid}`, a reply per command (`clock`, `key`, `status`), and an event per
 * token refresh this hub made (`refresh`: appid, reason, outcome, errcode; never a token).
 */
import pino from 'pino';
import { parseConfig } from '../../src/config/index.js';
import { type Database, PostgresDatabase } from '../../src/db/index.js';
import { startHub } from '../../src/hub/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { RefreshEvent } from '../../src/tokens/index.js';
import { childProtocol } from './child.js';

const config = parseConfig(JSON.parse(process.env.CHAOS_HUB_CONFIG ?? '{}'));
let offset = Number(process.env.CHAOS_CLOCK_OFFSET ?? 0);
const clock = { now: () => Date.now() + offset };
const name = process.env.CHAOS_HUB_NAME ?? 'hub';

const schema = process.env.CHAOS_PG_SCHEMA;
const database: Database | undefined =
  schema && config.database.startsWith('postgres')
    ? new PostgresDatabase({ url: config.database, schema })
    : undefined;

const logger = pino(
  { level: config.logging.level, base: { hub: name, pid: process.pid } },
  pino.destination({ dest: 2, sync: true }),
);
// The store as the hub would open it, watched for the refresh leases this process holds, so the
// harness can tell which hub is fetching (it kills that one mid-fetch).
const leases = new Set<string>();
const opened = openStore(config.store, { clock });
const store = new Proxy(opened, {
  get(target, prop) {
    if (prop === 'acquireLease') {
      return async (name: string, owner: string, ttlMs: number) => {
        const ok = await target.acquireLease(name, owner, ttlMs);
        if (ok && name.startsWith('lease:token:')) leases.add(name);
        return ok;
      };
    }
    if (prop === 'releaseLease') {
      return (name: string, owner: string) => {
        leases.delete(name);
        return target.releaseLease(name, owner);
      };
    }
    const value = Reflect.get(target, prop, target);
    return typeof value === 'function' ? value.bind(target) : value;
  },
}) as Store;
const hub = await startHub({ config, clock, store, database, logger });

const { send, serve } = childProtocol(async (cmd) => {
  switch (cmd.cmd) {
    case 'clock':
      offset = Number(cmd.offset);
      return { now: clock.now() };
    case 'key': {
      const created = await hub.services.keys.create({
        name: 'chaos clients',
        appids: cmd.appids as string[],
        scopes: cmd.scopes as never,
      });
      return { key: created.key };
    }
    case 'status':
      return {
        now: clock.now(),
        accounts: Object.fromEntries(hub.manager.appids().map((appid) => [appid, hub.manager.status(appid)])),
        leases: [...leases],
      };
    default:
      throw new Error(`unknown command ${String(cmd.cmd)}`);
  }
});

hub.manager.on('refresh', (event: RefreshEvent) => {
  send({ type: 'event', event: 'refresh', hub: name, at: clock.now(), ...event });
});

let stopping: Promise<void> | undefined;
const stop = () => {
  stopping ??= (async () => {
    await hub.close();
    await store.close();
    await database?.close();
    process.exit(0);
  })();
  return stopping;
};
process.on('SIGTERM', () => void stop());

send({ type: 'ready', url: hub.url, pid: process.pid });
await serve();
await stop();
