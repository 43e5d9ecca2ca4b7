import type { Command } from 'commander';
import pino from 'pino';
import { loadConfig } from '../config/index.js';
import { WxhubError } from '../errors/index.js';
import { MAX_REPLAY } from '../gateway/deliver/replay.js';
import { createHub, type Hub } from '../hub/create-hub.js';
import { configFile } from './serve-command.js';

interface EventsFlags {
  config?: string;
  consumer: string;
  limit?: string;
  json?: boolean;
  event?: string[];
}

const CONFIG_OPTION = 'configuration file of the hub (default: $WXHUB_CONFIG, else ./wxhub.config.json)';

/**
 * `wxhub events dead-letters|replay`: the callback gateway's dead letters, read and replayed
 * from the command line against the hub's store (the same event log every hub of the fleet
 * uses). Returns the `events` command so more subcommands can join it.
 */
export function registerEvents(program: Command): Command {
  const events = program.command('events').description("The callback gateway's events and dead letters");

  events
    .command('dead-letters')
    .description("List a subscriber's dead letters, oldest first")
    .requiredOption('--consumer <name>', 'the subscriber or sink name')
    .option('--limit <n>', `at most this many (1-${MAX_REPLAY}, default 100)`)
    .option('--json', 'one JSON array, for scripts')
    .option('--config <file>', CONFIG_OPTION)
    .action(async (flags: EventsFlags) => {
      const limit = parseLimit(flags.limit);
      await withGateway(flags, async (hub) => {
        const letters = await hub.services.gateway.log.deadLetters(flags.consumer, limit);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
          return;
        }
        if (letters.length === 0) {
          process.stdout.write(`no dead letters for ${flags.consumer}\n`);
          return;
        }
        for (const l of letters) {
          const what = l.event.event ? `${l.event.msg_type}/${l.event.event}` : l.event.msg_type;
          process.stdout.write(
            `${l.event.id}  ${new Date(l.at).toISOString()}  ${l.event.appid}  ${l.event.openid}  ${what}  attempts ${l.attempts}  ${l.error}\n`,
          );
        }
      });
    });

  events
    .command('replay')
    .description("Deliver a subscriber's dead letters again; delivered ones are removed")
    .requiredOption('--consumer <name>', 'the subscriber or sink name')
    .option('--event <id>', 'only this event id (repeat for several)', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option('--config <file>', CONFIG_OPTION)
    .action(async (flags: EventsFlags) => {
      await withGateway(flags, async (hub) => {
        const result = await hub.services.gateway.gateway.replay(flags.consumer, {
          ...(flags.event ? { eventIds: flags.event } : {}),
        });
        process.stdout.write(`replayed ${result.replayed}, failed ${result.failed}\n`);
        if (result.failed > 0) {
          throw new Error(
            `${result.failed} dead letter(s) failed again and were kept; see wxhub events dead-letters`,
          );
        }
      });
    });

  return events;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return 100;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLAY) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `--limit must be a whole number from 1 to ${MAX_REPLAY}`,
    );
  }
  return n;
}

/**
 * The hub of the configuration, built but not listening and not delivering (this process only
 * reads and replays), with logs off: the command's output is its own.
 */
async function withGateway(flags: EventsFlags, run: (hub: Hub) => Promise<void>): Promise<void> {
  const file = configFile(flags.config);
  const config = file ? loadConfig(file) : loadConfig(undefined);
  const hub = await createHub({
    config,
    logger: pino({ level: 'silent' }),
    proactiveRefresh: false,
    gateway: { deliver: false },
  });
  try {
    await run(hub);
  } finally {
    await hub.close();
  }
}
