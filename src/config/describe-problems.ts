import type { z } from 'zod';

/** A place in the configuration: keys and array indexes from the root. */
export type ConfigPath = readonly (string | number)[];

/** One problem with the configuration, at a path. */
export interface ConfigProblem {
  readonly path: ConfigPath;
  readonly message: string;
  /** For an unknown field: where it is (`path` is the object holding it). */
  readonly unknown?: ConfigPath;
}

/**
 * The problems zod found, in the words an operator needs: an unknown key is named as an unknown
 * field with the field it most likely meant (`acounts` → `accounts`), a missing field is
 * "required", and the rest keep zod's message.
 */
export function schemaProblems(schema: z.ZodType, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.flatMap((issue): ConfigProblem[] => {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, path);
      return issue.keys.map((key) => ({ path, message: unknownField(key, known), unknown: [...path, key] }));
    }
    if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) {
      return [{ path, message: 'required' }];
    }
    return [{ path, message: issue.message }];
  });
}

/** `accounts[0].oauth.returnTo[1]`; the root is `(root)`. */
export function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** True when `path` is `prefix` or lies below it. */
export function isUnder(path: ConfigPath, prefix: ConfigPath): boolean {
  return prefix.length <= path.length && prefix.every((p, i) => p === path[i]);
}

function unknownField(key: string, known: readonly string[]): string {
  const guess = closest(key, known);
  return `unknown field ${key}${guess ? ` (did you mean ${guess}?)` : ''}`;
}

/** The known key nearest to `key`: same letters in another case, or at most 2 edits away. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    const limit = Math.min(2, Math.floor(name.length / 3));
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly in?: z.ZodType;
}

/** The field names the schema allows at `path` (an object's keys), through defaults, arrays and pipes. */
function knownKeys(schema: z.ZodType, path: ConfigPath): string[] {
  let node: z.ZodType | undefined = schema;
  let depth = 0;
  while (node) {
    const def: SchemaDef = (node as unknown as { _zod: { def: SchemaDef } })._zod.def;
    const step = path[depth];
    if (def.innerType || def.in) {
      node = def.innerType ?? def.in;
      continue;
    }
    if (depth === path.length) return def.shape ? Object.keys(def.shape) : [];
    node = typeof step === 'number' ? def.element : def.shape?.[step as string];
    depth++;
  }
  return [];
}
