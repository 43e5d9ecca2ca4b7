/**
 * `wxhub ARGS` from source, for benchmarks: the CLI exactly as `bin/wxhub.js` runs it, without a
 * build step.   node --import tsx bench/lib/hub-cli.ts serve --config FILE --port 0
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(['node', 'wxhub', ...process.argv.slice(2)]);
