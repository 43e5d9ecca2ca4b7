/** What `GET /__sim/stats` answers. */
export interface SimStatsSnapshot {
  calls: Record<string, number>;
  byAppid: Record<string, Record<string, number>>;
  errors: Record<string, number>;
}

/** Call counters of the WeChat paths, per path, per appid and per errcode answered. */
export class SimStats {
  #calls = new Map<string, number>();
  #byAppid = new Map<string, Map<string, number>>();
  #errors = new Map<number, number>();

  recordCall(path: string): void {
    this.#calls.set(path, (this.#calls.get(path) ?? 0) + 1);
  }

  recordAppid(appid: string, path: string): void {
    let paths = this.#byAppid.get(appid);
    if (!paths) {
      paths = new Map();
      this.#byAppid.set(appid, paths);
    }
    paths.set(path, (paths.get(path) ?? 0) + 1);
  }

  recordError(errcode: number): void {
    this.#errors.set(errcode, (this.#errors.get(errcode) ?? 0) + 1);
  }

  snapshot(): SimStatsSnapshot {
    const byAppid: Record<string, Record<string, number>> = {};
    for (const [appid, paths] of this.#byAppid) byAppid[appid] = Object.fromEntries(paths);
    return {
      calls: Object.fromEntries(this.#calls),
      byAppid,
      errors: Object.fromEntries([...this.#errors].map(([code, n]) => [String(code), n])),
    };
  }

  reset(): void {
    this.#calls = new Map();
    this.#byAppid = new Map();
    this.#errors = new Map();
  }
}
