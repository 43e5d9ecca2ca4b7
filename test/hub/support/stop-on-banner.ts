import { vi } from 'vitest';
import { main } from '../../../src/cli/main.js';

/**
 * Runs `wxhub ARGS` in this process and stops it the way a script does: with SIGTERM as soon as
 * the line containing `banner` is written. Resolves with the exit code and with how many SIGTERM
 * handlers the command had installed when that line was written (0 means a real signal at that
 * moment would have killed the process before it could close). The command's own handlers are
 * called directly, so the test runner's handlers never see a signal.
 */
export async function stopOnBanner(
  args: string[],
  banner: string,
): Promise<{ code: number; handlers: number; stdout: string }> {
  const before = process.listeners('SIGTERM');
  let handlers = -1;
  let stdout = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    if (handlers === -1 && stdout.includes(banner)) {
      const added = () => process.listeners('SIGTERM').filter((l) => !before.includes(l));
      handlers = added().length;
      // Stopped either way (handlers installed late included), so a wrong order fails, not hangs.
      setImmediate(() => {
        for (const listener of added()) (listener as (signal: NodeJS.Signals) => void)('SIGTERM');
      });
    }
    return true;
  });
  try {
    const code = await main(['node', 'wxhub', ...args]);
    return { code, handlers, stdout };
  } finally {
    write.mockRestore();
  }
}
