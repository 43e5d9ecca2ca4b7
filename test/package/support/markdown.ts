import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

export const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** A fenced code block: its info string (`sh`, `json`) and its text. */
export interface CodeBlock {
  readonly lang: string;
  readonly body: string;
}

/** The text under the heading that is exactly `heading` (e.g. `### The hub in one minute`), up to the next heading of its level or above. */
export function section(markdown: string, heading: string): string {
  const level = heading.indexOf(' ');
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`no heading "${heading}"`);
  let inFence = false;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('```')) inFence = !inFence;
    const hashes = /^(#{1,6}) /.exec(line)?.[1]?.length;
    if (!inFence && hashes !== undefined && hashes <= level) return lines.slice(start + 1, i).join('\n');
  }
  return lines.slice(start + 1).join('\n');
}

export function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

/** The markdown without fenced code blocks and inline code, where link syntax means nothing. */
export function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** Headings (outside code blocks) as GitHub anchors: `## The fast lanes` → `the-fast-lanes`. */
export function anchors(markdown: string): string[] {
  const seen = new Map<string, number>();
  return [...markdown.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => {
    const slug = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    return n === 0 ? slug : `${slug}-${n}`;
  });
}

/** Every link target in the prose: `[text](target)`, `![alt](target)`, `[id]: target`, `src=`/`href=`. */
export function linkTargets(markdown: string): string[] {
  const text = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  const inline = text.replace(/`[^`\n]*`/g, '');
  return [
    ...[...inline.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!),
    ...[...inline.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1]!),
    ...[...text.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!),
  ];
}

/**
 * Splits one shell line into words the way sh would for the README's commands: single and double
 * quotes, `$NAME` from `vars`, and a trailing `# comment` dropped.
 */
export function shellWords(line: string, vars: Record<string, string> = {}): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word += c;
    } else if (c === '$' && /[A-Za-z_]/.test(line[i + 1] ?? '')) {
      const name = /^[A-Za-z_]\w*/.exec(line.slice(i + 1))![0];
      word = (word ?? '') + (vars[name] ?? '');
      i += name.length;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (c === '#' && word === null) {
      break;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}
