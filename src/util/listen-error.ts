/**
 * The one line a person reads when a server cannot listen: the port is taken, needs privileges,
 * or the host is not this machine's. `what` names the server when a command starts several;
 * `change` says how to pick another port (e.g. `--port`). Other errors pass through unchanged.
 */
export function listenError(err: unknown, host: string, port: number, change: string, what?: string): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const which = what ? ` (${what})` : '';
  if (code === 'EADDRINUSE')
    return new Error(`port ${port} on ${host} is already in use${which}; pick another with ${change}`);
  if (code === 'EACCES')
    return new Error(`no permission to listen on ${host}:${port}${which}; pick another with ${change}`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new Error(`cannot listen on ${host}: not an address of this machine`);
  }
  return err instanceof Error ? err : new Error(String(err));
}
