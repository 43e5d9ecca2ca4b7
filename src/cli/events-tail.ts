import type { Command } from 'commander';
import { APPID_HINT, WECHAT_APPID } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import type { EventLog, LoggedEvent } from '../gateway/log/event-log.js';
import { openEventLog } from '../gateway/log/open-event-log.js';
import { openStore } from '../store/open-store.js';
import { collect, loadCommandConfig } from './command-config.js';
import { formatEventLine } from './event-line.js';
import { untilSignal } from './until-signal.js';

/** Events read per store round trip while catching up or following. */
const PAGE = 200;
/** Reads again at least this often, ms, should a wake-up from the log be missed. */
const POLL_MS = 1000;

export interface TailOptions {
  readonly log: EventLog;
  readonly appids: readonly string[];
  /** How many of the latest events to show first (like `tail -n`); 0 shows only new ones. */
  readonly lines: number;
  readonly write: (logged: LoggedEvent) => void;
}

/** A running tail: `stop` ends it once the read in progress has been written out. */
export interface Tail {
  stop(): Promise<void>;
}

/**
 * Follows the event log of `appids`: writes the last `lines` events (oldest first), then every
 * event logged afterwards by any hub on the store, in log order per appid, woken by the log's
 * `watch` (with a slow poll as a safety net). Reads only: positions and dead letters stay as
 * they are, so a tail never takes anything from a subscriber.
 */
export async function tailEvents(options: TailOptions): Promise<Tail> {
  const { log, appids, write } = options;
  const cursors = new Map<string, string | null>();
  const latest: LoggedEvent[] = [];
  for (const appid of appids) {
    let cursor: string | null = null;
    let last: LoggedEvent[] = [];
    for (;;) {
      const page = await log.readAppid(appid, cursor, PAGE);
      if (page.length > 0) cursor = page[page.length - 1]!.cursor;
      if (options.lines > 0) last = [...last, ...page].slice(-options.lines);
      if (page.length < PAGE) break;
    }
    cursors.set(appid, cursor);
    latest.push(...last);
  }
  if (options.lines > 0) {
    latest.sort((a, b) => a.event.create_time - b.event.create_time);
    for (const logged of latest.slice(-options.lines)) write(logged);
  }

  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  const readNew = async () => {
    for (const appid of appids) {
      for (;;) {
        const page = await log.readAppid(appid, cursors.get(appid) ?? null, PAGE);
        for (const logged of page) write(logged);
        if (page.length > 0) cursors.set(appid, page[page.length - 1]!.cursor);
        if (page.length < PAGE || stopped) break;
      }
    }
  };
  const pump = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = readNew()
      .catch((err: unknown) => {
        process.stderr.write(`wxhub: reading the event log failed (${String(err)}); trying again\n`);
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          pump();
        }
      });
  };
  const unwatch = await log.watch(pump);
  const timer = setInterval(pump, POLL_MS);
  pump();
  return {
    async stop() {
      stopped = true;
      unwatch();
      clearInterval(timer);
      await running;
    },
  };
}

interface TailFlags {
  appid?: string[];
  config?: string;
  json?: boolean;
  lines: string;
}

/** `wxhub events tail`: the pushes of the hub's accounts, live, one line each. */
export function registerEventsTail(events: Command): void {
  events
    .command('tail')
    .description('Follow the pushes WeChat sends, live, one line each (Ctrl-C to stop)')
    .option(
      '--appid <appid>',
      'only this account (repeat for several; default: every account with a callback)',
      collect,
    )
    .option('-n, --lines <n>', 'show the last n events first', '10')
    .option('--json', 'one JSON object per line (the webhook body), for scripts')
    .option(
      '--config <file>',
      'configuration file naming the store (default: $WXHUB_CONFIG, else ./wxhub.config.json)',
    )
    .action(async (flags: TailFlags) => {
      if (!/^\d{1,6}$/.test(flags.lines)) {
        throw new WxhubError(
          'WXHUB_ERR_INVALID_ARGUMENT',
          `--lines must be a whole number, not "${flags.lines}"`,
        );
      }
      for (const appid of flags.appid ?? []) {
        if (!WECHAT_APPID.test(appid))
          throw new WxhubError('WXHUB_ERR_INVALID_ARGUMENT', `--appid "${appid}" ${APPID_HINT}`);
      }
      const { config, resolved } = loadCommandConfig(flags.config);
      const withCallback = config.accounts.filter((a) => a.callback).map((a) => a.appid);
      const appids = flags.appid ?? withCallback;
      if (appids.length === 0) {
        throw new WxhubError(
          'WXHUB_ERR_INVALID_ARGUMENT',
          'no account has a callback in the configuration; name one with --appid',
        );
      }
      for (const appid of appids) {
        if (!withCallback.includes(appid))
          process.stderr.write(`wxhub: warning: ${appid} has no callback in the configuration\n`);
      }
      const store = openStore(resolved('store'));
      const log = openEventLog(store);
      const out = (line: string) => process.stdout.write(`${line}\n`);
      try {
        const stopped = untilSignal();
        const tail = await tailEvents({
          log,
          appids,
          lines: Number(flags.lines),
          write: ({ event }) => out(flags.json ? JSON.stringify(event) : formatEventLine(event)),
        });
        process.stderr.write(`wxhub: following ${appids.join(', ')} (Ctrl-C to stop)\n`);
        await stopped;
        await tail.stop();
      } finally {
        await log.close();
        await store.close();
      }
    });
}
