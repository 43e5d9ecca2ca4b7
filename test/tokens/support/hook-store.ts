import type { Store } from '../../../src/store/store.js';

/**
 * `store` with some methods replaced, the rest passed through: a test's way to hold one process's
 * store call at a chosen moment, or to make one facility fail, while the data stays shared.
 */
export function hookStore(store: Store, hooks: Partial<Store>): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(hooks, prop)) return hooks[prop as keyof Store];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A promise with its resolve function, for ordering steps across two callers. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
