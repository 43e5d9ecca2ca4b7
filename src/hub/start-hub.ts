import { type CreateHubOptions, createHub, type Hub } from './create-hub.js';

export interface StartHubOptions extends CreateHubOptions {
  /** Default: `config.listen.port` (0: any free port). */
  readonly port?: number;
  /** Default: `config.listen.host`. */
  readonly host?: string;
  /**
   * Run the follower sync schedule (`followers.syncIntervalSeconds`). Default: as
   * `proactiveRefresh`, so a hub that runs its background work runs this too.
   */
  readonly followerSync?: boolean;
}

/** A listening hub and its base URL. */
export interface StartedHub extends Hub {
  /** e.g. `http://127.0.0.1:8080` */
  readonly url: string;
}

/**
 * `createHub`, listen, and start the follower sync schedule: what `wxhub serve` runs. `close()`
 * stops listening and releases everything.
 */
export async function startHub(options: StartHubOptions): Promise<StartedHub> {
  const hub = await createHub(options);
  const { config } = hub.services;
  try {
    await hub.app.listen({
      port: options.port ?? config.listen.port,
      host: options.host ?? config.listen.host,
    });
  } catch (err) {
    await hub.close();
    throw err;
  }
  if (options.followerSync ?? options.proactiveRefresh !== false) hub.app.dashboard.followerSync.start();
  const address = hub.app.server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? config.listen.port);
  const host = options.host ?? config.listen.host;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { ...hub, url: `http://${shown}:${port}` };
}
