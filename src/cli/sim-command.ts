import type { Command } from 'commander';

/** `wxhub sim`: the WeChat simulator alone. */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Run the WeChat simulator (API host and authorization host on one port)')
    .option('--port <port>', 'port to listen on', '9100')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--fixture <file>', 'JSON fixture of accounts and users (default: the demo fixture)')
    .action(async () => {
      throw new Error('the simulator is not built yet');
    });
}
