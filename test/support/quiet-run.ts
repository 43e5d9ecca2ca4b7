/**
 * Setup file (vitest.config.ts): a run prints nothing a test did not ask for. Two prints used to
 * show on every run; each now fails the test that caused it, or is the test's own to assert on.
 *
 * - A process warning (Node's "(node:PID) Warning: …"; the stores warn when a change listener
 *   throws). A test that expects one listens for it (`process.on('warning', …)`) and asserts on
 *   it: then it is not printed. One that nobody listens for is printed and fails the test.
 * - ioredis' "[ioredis] Unhandled error event": a client with no 'error' listener, whose
 *   connection errors nobody would see. Printed, and fails the test.
 */
import { afterAll, afterEach } from 'vitest';

const unexpected: string[] = [];

const printers = process.listeners('warning');
for (const print of printers) process.off('warning', print);
process.on('warning', (warning: Error) => {
  if (process.listenerCount('warning') > 1) return; // a test listens: it asserts on it
  unexpected.push(`a process warning nobody listened for: ${warning.name}: ${warning.message}`);
  for (const print of printers) print.call(process, warning);
});

const consoleError = console.error;
console.error = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('[ioredis] Unhandled error event'))
    unexpected.push(`an ioredis client without an 'error' listener: ${String(args[1]).split('\n')[0]}`);
  consoleError.apply(console, args);
};

function failOnUnexpected(): void {
  if (unexpected.length)
    throw new Error(`printed what no test asserts on:\n  ${unexpected.splice(0).join('\n  ')}`);
}
afterEach(failOnUnexpected);
afterAll(failOnUnexpected);
