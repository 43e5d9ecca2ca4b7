import type { Command } from 'commander';
import { WxhubError } from '../errors/index.js';
import { DEMO_ACCOUNTS, DEMO_FIXTURE } from '../sim/demo-fixture.js';
import { loadFixtureFile } from '../sim/fixture-file.js';
import { type RunningSimulator, startSimulator } from '../sim/start-simulator.js';
import type { SimFixture } from '../sim/types.js';
import { listenError } from '../util/listen-error.js';
import { untilSignal } from './until-signal.js';

interface SimFlags {
  port: string;
  host: string;
  fixture?: string;
}

const HELP = `
The simulator answers WeChat's API host paths (/cgi-bin/*, /sns/*), the authorization host's
/connect/oauth2/authorize (a consent page; header X-Sim-User: OPENID answers at once) and a control
plane under /__sim (accounts, users, virtual clock, faults, stats). Point a client's API and OAuth
base URLs at the printed URL.

Without --fixture it loads the demo fixture: two accounts with public demo-only secrets
(${DEMO_ACCOUNTS.map((a) => `${a.appid} / ${a.secret}`).join(', ')}).
A fixture file is JSON: {"accounts":[{"appid","secret","oauthDomains":[...],"users":[{...}]}]}.

Examples:
  wxhub sim
  wxhub sim --port 0 --fixture ./sim-fixture.json
  curl 'http://127.0.0.1:9100/cgi-bin/token?grant_type=client_credential&appid=${DEMO_ACCOUNTS[0]!.appid}&secret=${DEMO_ACCOUNTS[0]!.secret}'

Docs: docs/simulator.md`;

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) {
    throw new WxhubError(
      'WXHUB_ERR_INVALID_ARGUMENT',
      `--port must be an integer from 0 to 65535; got "${value}"`,
    );
  }
  return port;
}

function banner(sim: RunningSimulator, fixture: SimFixture, fixtureName: string): string {
  const first = fixture.accounts[0];
  const lines = [`WeChat simulator listening on ${sim.url}  (fixture: ${fixtureName})`, ''];
  lines.push(`  API base (api.weixin.qq.com):        ${sim.url}`);
  lines.push(`  Authorize base (open.weixin.qq.com): ${sim.url}`);
  if (first) {
    const redirect = encodeURIComponent(`${sim.url}/__sim/stats`);
    lines.push(
      `  Token:          ${sim.url}/cgi-bin/token?grant_type=client_credential&appid=${first.appid}&secret=${first.secret}`,
      `  Authorize page: ${sim.url}/connect/oauth2/authorize?appid=${first.appid}&redirect_uri=${redirect}&response_type=code&scope=snsapi_userinfo&state=demo#wechat_redirect`,
    );
  }
  lines.push(`  Control plane:  ${sim.url}/__sim  (accounts, clock, faults, stats, reset)`, '');
  for (const account of fixture.accounts) {
    lines.push(`  account ${account.appid}  secret ${account.secret}  users ${account.users?.length ?? 0}`);
  }
  lines.push('', 'Press Ctrl+C to stop.', '');
  return lines.join('\n');
}

async function runSim(flags: SimFlags): Promise<void> {
  const port = parsePort(flags.port);
  const fixture = flags.fixture ? await loadFixtureFile(flags.fixture) : DEMO_FIXTURE;
  let sim: RunningSimulator;
  try {
    sim = await startSimulator({ port, host: flags.host, fixture });
  } catch (err) {
    throw listenError(err, flags.host, port, '--port');
  }
  const stopped = untilSignal();
  process.stdout.write(banner(sim, fixture, flags.fixture ?? 'demo'));
  const signal = await stopped;
  await sim.close();
  process.stdout.write(`simulator stopped (${signal})\n`);
}

/** `wxhub sim`: the WeChat simulator alone. */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the WeChat simulator (API host and authorization host on one port)')
    .option('--port <port>', 'port to listen on (0: any free port)', '9100')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--fixture <file>', 'JSON fixture of accounts and users (default: the demo fixture)')
    .addHelpText('after', HELP)
    .action(async (flags: SimFlags) => {
      await runSim(flags);
    });
}
