import { deflateSync } from 'node:zlib';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encodes RGBA pixels (row by row, 4 bytes each) as a PNG. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++)
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (width * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * The app icon at `size` px: a closed loop (ring) with a dot travelling on it, white on teal, drawn with 4×4
 * supersampling. Full-bleed, so it also works as a maskable icon (the ring stays inside the safe zone).
 */
export function iconPng(size: number): Buffer {
  const rgba = new Uint8Array(size * size * 4);
  const c = size / 2;
  const ring = [size * 0.2, size * 0.28];
  const dot = {
    x: c + size * 0.24 * Math.cos(-Math.PI / 4),
    y: c + size * 0.24 * Math.sin(-Math.PI / 4),
    r: size * 0.08,
  };
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let cover = 0;
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const px = x + (sx + 0.5) / 4;
          const py = y + (sy + 0.5) / 4;
          const r = Math.hypot(px - c, py - c);
          const onRing = r >= (ring[0] as number) && r <= (ring[1] as number);
          const onDot = Math.hypot(px - dot.x, py - dot.y) <= dot.r;
          if (onRing || onDot) cover++;
        }
      const a = cover / 16;
      const i = (y * size + x) * 4;
      rgba[i] = Math.round(15 + (255 - 15) * a);
      rgba[i + 1] = Math.round(118 + (255 - 118) * a);
      rgba[i + 2] = Math.round(110 + (255 - 110) * a);
      rgba[i + 3] = 255;
    }
  return encodePng(size, size, rgba);
}
