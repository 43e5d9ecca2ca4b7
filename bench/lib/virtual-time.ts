/**
 * Virtual time for benchmark workers: the simulator's clock runs ahead of real time by an offset
 * (`POST /__sim/clock`), and libraries that read the system clock must see the same "now" to see
 * a token expire when the simulator does. Installing this replaces the global `Date` so that
 * `Date.now()`, `new Date()` and `Date()` read real time plus the offset, for every library in
 * the process alike (wxhub, co-wechat-api and node-easywechat all read `Date`).
 */
export interface VirtualTime {
  /** Sets the offset, ms; only change it while no request is in flight. */
  setOffsetMs(offsetMs: number): void;
  readonly offsetMs: number;
}

let installed: VirtualTime | undefined;

/** Replaces the global Date once per process; later calls return the same controller. */
export function installVirtualTime(): VirtualTime {
  if (installed) return installed;
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  let offset = 0;
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    if (!new.target) return new RealDate(realNow() + offset).toString();
    if (args.length === 0) return new RealDate(realNow() + offset);
    return new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  }
  VirtualDate.prototype = RealDate.prototype;
  VirtualDate.now = () => realNow() + offset;
  VirtualDate.parse = RealDate.parse;
  VirtualDate.UTC = RealDate.UTC;
  globalThis.Date = VirtualDate as unknown as DateConstructor;
  installed = {
    setOffsetMs(offsetMs: number) {
      offset = offsetMs;
    },
    get offsetMs() {
      return offset;
    },
  };
  return installed;
}
