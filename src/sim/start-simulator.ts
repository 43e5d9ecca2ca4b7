import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createSimulator, type SimulatorOptions } from './create-simulator.js';
import type { SimState } from './state/sim-state.js';

export interface StartSimulatorOptions extends SimulatorOptions {
  /** Default 0: a free port chosen by the system. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
}

export interface RunningSimulator {
  /** e.g. `http://127.0.0.1:9100`: the base of every WeChat host and of the control plane. */
  readonly url: string;
  readonly port: number;
  readonly app: FastifyInstance;
  readonly state: SimState;
  /** Stops listening and destroys every open socket, hung fault requests included. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Builds the simulator and listens. Rejects (e.g. EADDRINUSE) after releasing everything. */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<RunningSimulator> {
  const host = options.host ?? '127.0.0.1';
  const { app, state } = createSimulator(options);
  try {
    await app.listen({ port: options.port ?? 0, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    app,
    state,
    close: async () => {
      await app.close();
    },
  };
}
