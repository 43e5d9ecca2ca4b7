import type { ConfigProblem } from './describe-problems.js';

type Loose = Record<string, unknown> | null | undefined;

/**
 * The checks of the gateway's configuration that span fields, on the raw (env-resolved) input
 * so they are reported with every other problem at once: subscriber names are unique (they name
 * delivery positions and dead letters), and an account's `callback.reply.subscriber` names a
 * webhook subscriber (only a webhook can answer within WeChat's 5 s).
 */
export function gatewayReferenceProblems(config: unknown): ConfigProblem[] {
  const root = config as Loose;
  const subscribers = Array.isArray(root?.subscribers) ? (root.subscribers as Loose[]) : [];
  const problems: ConfigProblem[] = [];
  const kinds = new Map<string, 'webhook' | 'sink'>();
  for (const [i, subscriber] of subscribers.entries()) {
    const name = subscriber?.name;
    if (typeof name !== 'string') continue;
    if (kinds.has(name)) {
      problems.push({ path: ['subscribers', i, 'name'], message: `duplicate subscriber name ${name}` });
      continue;
    }
    kinds.set(name, subscriber && 'url' in subscriber ? 'webhook' : 'sink');
  }
  const accounts = Array.isArray(root?.accounts) ? (root.accounts as Loose[]) : [];
  for (const [i, account] of accounts.entries()) {
    const reply = ((account?.callback as Loose)?.reply as Loose)?.subscriber;
    if (typeof reply !== 'string' || kinds.get(reply) === 'webhook') continue;
    problems.push({
      path: ['accounts', i, 'callback', 'reply', 'subscriber'],
      message: kinds.has(reply)
        ? `${reply} is a broker sink: a reply subscriber must be a webhook (url, secret)`
        : `no subscriber named ${reply} in subscribers`,
    });
  }
  return problems;
}
