import type { FastifyRequest } from 'fastify';
import type { SimState } from '../state/sim-state.js';

/** The simulator's own origin as the caller sees it (or the configured baseUrl). */
export function originOf(sim: SimState, request: FastifyRequest): string {
  if (sim.baseUrl) return sim.baseUrl;
  return `${request.protocol}://${request.host || 'localhost'}`;
}
