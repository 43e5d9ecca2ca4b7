import type { Command } from 'commander';
import { WxhubError } from '../errors/index.js';
import { DEMO_ACCOUNTS } from '../sim/demo-fixture.js';
import { DEMO_DATABASE } from '../web/demo/demo-config.js';
import { type RunningDemo, startDemo } from '../web/demo/start-demo.js';
import { parsePort } from './serve-command.js';
import { untilSignal } from './until-signal.js';

interface DemoFlags {
  port: string;
  host: string;
}

const HELP = `
One process: the WeChat simulator (demo fixture) on --port + 1, and on --port the hub together
with the demo site (/) and the operator dashboard (/admin). Tokens, users, identities, followers
and the demo's keys live in ${DEMO_DATABASE.slice('sqlite:'.length)} under the current directory, so a restart
keeps them (and prints the same admin key). Delete .wxhub/ to start afresh.

Examples:
  wxhub demo
  wxhub demo --port 8000
  npm start                      (build, then wxhub demo)

Docs: docs/web.md`;

/** The lines `wxhub demo` prints: where to click, the admin key, a curl to try. */
export function demoBanner(demo: RunningDemo): string {
  const appid = DEMO_ACCOUNTS[0]!.appid;
  return [
    `wxhub demo is running: simulator, hub and demo site in one process (data: ${DEMO_DATABASE.slice('sqlite:'.length)})`,
    '',
    `  Demo site   ${demo.url}/`,
    '              click 使用微信登录 / Log in with WeChat, pick a user, press 允许 / Allow',
    `  OIDC site   ${demo.url}/oidc-demo   (a relying party logging in through ${demo.url}/oidc)`,
    `  Dashboard   ${demo.url}/admin`,
    `              admin key: ${demo.adminKey}`,
    `  Simulator   ${demo.simulatorUrl}   (WeChat's API and consent page; control plane ${demo.simulatorUrl}/__sim)`,
    `  Hub API     ${demo.url}/v1   (OpenAPI: ${demo.url}/openapi.json, metrics: ${demo.url}/metrics)`,
    '',
    '  Try the hub API:',
    `    curl -H 'Authorization: Bearer ${demo.adminKey}' ${demo.url}/v1/accounts/${appid}/access-token`,
    '',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n');
}

async function runDemo(flags: DemoFlags): Promise<void> {
  const port = parsePort(flags.port)!;
  if (port === 65535) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      '--port must leave room for the simulator on --port + 1',
    );
  }
  const demo = await startDemo({ port, host: flags.host });
  const stopped = untilSignal();
  process.stdout.write(demoBanner(demo));
  const signal = await stopped;
  process.stdout.write(`wxhub demo: stopping (${signal})\n`);
  await demo.close();
}

/** `wxhub demo`: the simulator, the hub and the pages together, on SQLite. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Run the simulator, the hub, the demo site and the operator dashboard in one process')
    .option('--port <port>', 'port of the demo site and hub; the simulator takes the next one', '3000')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .addHelpText('after', HELP)
    .action(async (flags: DemoFlags) => {
      await runDemo(flags);
    });
}
