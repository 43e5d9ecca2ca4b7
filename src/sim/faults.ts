import { z } from 'zod';

/** `POST /__sim/faults`: what to break, where, how often. */
export const faultSpecSchema = z
  .object({
    /** Exact WeChat path (no query), e.g. `/cgi-bin/token`. Absent: every WeChat path. */
    path: z.string().startsWith('/').optional(),
    /** Only calls of this account (from `appid`, the body's appid, or the token's account). */
    appid: z.string().min(1).optional(),
    /** Probability 0–1 that a matching call is hit. */
    rate: z.number().min(0).max(1),
    /** Answer this WeChat errcode (HTTP 200 unless httpStatus says otherwise). */
    errcode: z.number().int().optional(),
    /** HTTP status of the injected answer; alone (no errcode, no body) the body is empty. */
    httpStatus: z.number().int().min(100).max(599).optional(),
    /** Wait this long (real milliseconds) first; alone, the call is then handled normally. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** Never answer: the request stays open until the client gives up or the server closes. */
    hang: z.boolean().optional(),
    /** Raw body to answer (e.g. a gateway's HTML page), with httpStatus (default 200). */
    body: z.string().max(1_000_000).optional(),
    /** Inject this many times, then remove the fault. Absent: until deleted. */
    count: z.number().int().min(1).optional(),
  })
  .strict();
export type FaultSpec = z.infer<typeof faultSpecSchema>;

/** A registered fault, as `GET /__sim/faults` lists it. */
export interface Fault extends FaultSpec {
  readonly id: string;
  /** Injections done so far. */
  hits: number;
}

/**
 * Injected failures. A call is matched against the faults in creation order; the first whose
 * filters match and whose dice roll hits is injected (and counted toward its `count`).
 */
export class FaultRegistry {
  readonly #faults = new Map<string, Fault>();
  #nextId = 1;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  get size(): number {
    return this.#faults.size;
  }

  add(spec: FaultSpec): Fault {
    const fault: Fault = { ...spec, id: `fault-${this.#nextId++}`, hits: 0 };
    this.#faults.set(fault.id, fault);
    return fault;
  }

  remove(id: string): boolean {
    return this.#faults.delete(id);
  }

  clear(): number {
    const n = this.#faults.size;
    this.#faults.clear();
    return n;
  }

  list(): Fault[] {
    return [...this.#faults.values()];
  }

  /** The fault to inject into this call, if any (already counted and possibly removed). */
  pick(path: string, appid: string | undefined): Fault | undefined {
    for (const fault of this.#faults.values()) {
      if (fault.path !== undefined && fault.path !== path) continue;
      if (fault.appid !== undefined && fault.appid !== appid) continue;
      if (fault.rate <= 0 || (fault.rate < 1 && this.#random() >= fault.rate)) continue;
      fault.hits++;
      if (fault.count !== undefined && fault.hits >= fault.count) this.#faults.delete(fault.id);
      return fault;
    }
    return undefined;
  }
}
