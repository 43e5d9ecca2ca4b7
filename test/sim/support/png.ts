import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';
import { crc32 } from '../../../src/sim/png.js';

/** Reads width, height and the decompressed pixel rows of a PNG written by encodePng. */
export function decodePng(png: Buffer): { width: number; height: number; raw: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length)).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8);
      expect(data[9]).toBe(2);
    }
    if (type === 'IDAT') idat.push(data);
    at += 12 + length;
  }
  return { width, height, raw: inflateSync(Buffer.concat(idat)) };
}

/** The RGB pixels of such a PNG, its rows all with filter 0 (the only one encodePng writes). */
export function pngPixels(png: Buffer): { width: number; height: number; data: Uint8Array } {
  const { width, height, raw } = decodePng(png);
  const stride = width * 3 + 1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * stride]).toBe(0);
    data.set(raw.subarray(y * stride + 1, (y + 1) * stride), y * width * 3);
  }
  return { width, height, data };
}
