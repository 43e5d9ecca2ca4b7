/** Shared helpers for wxhub's benchmarks. */

export { announceAndWait, type ChildServer, READY_PREFIX, startChildServer } from './child-server.js';
export { type LoadOptions, type LoadRequest, type LoadResult, runLoad } from './load.js';
export { processCpuNanos, processCpuSeconds } from './process-cpu.js';
export { environment, RESULTS_DIR, writeResults } from './results.js';
export { runMain } from './run-main.js';
export { median, percentile, round, type Summary, summarize } from './summary.js';
export { formatTable, printTable } from './table.js';
