import encodeQR from 'qr';
import { encodePng } from './png.js';

/** About the size of WeChat's showqrcode images (430 × 430). */
const TARGET_PX = 430;
/** The quiet zone the QR standard asks for, in modules. */
const BORDER = 4;

/**
 * A scannable QR code of `text` as a black-on-white PNG of about 430 pixels square (medium
 * error correction, 4-module quiet zone).
 */
export function qrPng(text: string): Buffer {
  const modules = encodeQR(text, 'raw', { ecc: 'medium', border: BORDER });
  const count = modules.length;
  const scale = Math.max(1, Math.floor(TARGET_PX / count));
  const size = count * scale;
  const rgb = new Uint8Array(size * size * 3).fill(255);
  for (let y = 0; y < size; y++) {
    const row = modules[Math.floor(y / scale)]!;
    for (let x = 0; x < size; x++) {
      if (row[Math.floor(x / scale)]) rgb.fill(0, (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return encodePng(size, size, rgb);
}
