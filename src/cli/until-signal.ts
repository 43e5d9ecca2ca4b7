/**
 * Resolves with the first SIGINT or SIGTERM: how a long-running command is asked to stop. Call it
 * before printing the line that says the command is up: a script that stops the command as soon as
 * it reads that line must find the handlers in place, or the signal's default action kills the
 * process before it can close cleanly.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
