/**
 * The chaos suite as one of `npm run bench`'s benchmarks (bench/run-all.ts runs every top-level
 * bench/*.ts); the suite itself lives in bench/chaos/, and `npm run chaos -- --help` shows its options.
 */
await import('./chaos/run.js');
