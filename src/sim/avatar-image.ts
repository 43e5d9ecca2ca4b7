import { createHash } from 'node:crypto';
import { encodePng } from './png.js';

const CACHE_MAX = 256;
const BACKGROUND = [240, 240, 240] as const;

/** Pixel size of a WeChat avatar size segment: 0 means 640×640. */
export function avatarPixels(size: number): number {
  return size === 0 ? 640 : size;
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const k = (n: number) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => l - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [Math.round(f(0) * 255), Math.round(f(8) * 255), Math.round(f(4) * 255)];
}

/**
 * A deterministic identicon for an avatar id: a 5×5 left-right symmetric pattern in a colour
 * taken from the id's hash, on a light background. Same id, same picture, at every size.
 */
export function renderAvatar(id: string, pixels: number): Buffer {
  const hash = createHash('sha256').update(id).digest();
  const colour = hslToRgb(((hash[0]! << 8) | hash[1]!) % 360, 0.55, 0.5);
  const on: boolean[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 5; col++) {
      const source = col < 3 ? col : 4 - col;
      on.push(((hash[2 + row * 3 + source]! >> 3) & 1) === 1);
    }
  }
  const rgb = new Uint8Array(pixels * pixels * 3);
  for (let y = 0; y < pixels; y++) {
    const gy = Math.floor((y / pixels) * 6 - 0.5);
    for (let x = 0; x < pixels; x++) {
      const gx = Math.floor((x / pixels) * 6 - 0.5);
      const filled = gx >= 0 && gx < 5 && gy >= 0 && gy < 5 && on[gy * 5 + gx] === true;
      const c = filled ? colour : BACKGROUND;
      const at = (y * pixels + x) * 3;
      rgb[at] = c[0];
      rgb[at + 1] = c[1];
      rgb[at + 2] = c[2];
    }
  }
  return encodePng(pixels, pixels, rgb);
}

/** Rendered avatars by id and size, least recently used evicted first. */
export class AvatarCache {
  readonly #entries = new Map<string, Buffer>();

  get(id: string, size: number): Buffer {
    const key = `${id}/${size}`;
    let png = this.#entries.get(key);
    if (png) {
      this.#entries.delete(key);
    } else {
      png = renderAvatar(id, avatarPixels(size));
      if (this.#entries.size >= CACHE_MAX) {
        const oldest = this.#entries.keys().next();
        if (!oldest.done) this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(key, png);
    return png;
  }

  get size(): number {
    return this.#entries.size;
  }
}
