// Runs the wxhub CLI from source (the published bin runs the same main() from dist/).
import { main } from '../../../src/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`wxhub: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
