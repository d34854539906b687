import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildDashboard, writeDashboard } from './index.ts';

describe('buildDashboard', () => {
  it('bundles the app, service worker, styles, manifest and icons in memory', async () => {
    const assets = await buildDashboard();
    expect([...assets.keys()].sort()).toEqual([
      '/app.js',
      '/config.json',
      '/icon-192.png',
      '/icon-512.png',
      '/icon.svg',
      '/index.html',
      '/manifest.webmanifest',
      '/styles.css',
      '/sw.js',
    ]);
    const manifest = JSON.parse(assets.get('/manifest.webmanifest')?.body.toString() ?? '{}');
    expect(manifest).toMatchObject({ display: 'standalone', start_url: './' });
    for (const icon of manifest.icons as Array<{ src: string }>)
      expect(assets.has(`/${icon.src}`)).toBe(true);
    expect(JSON.parse(assets.get('/config.json')?.body.toString() ?? '')).toEqual({
      apiBase: '',
      title: 'labloop',
    });
  });

  it('keeps the JavaScript within 150 KB gzipped (the PWA budget)', async () => {
    const assets = await buildDashboard();
    const js = [...assets.values()].filter((a) => a.path.endsWith('.js'));
    const gzipped = js.reduce((sum, a) => sum + a.gzip.length, 0);
    expect(gzipped).toBeLessThan(150 * 1024);
    // zod and other server-side code must not leak into the bundle (types only cross over).
    expect(assets.get('/app.js')?.body.toString()).not.toMatch(/ZodError|better-sqlite3|mqtt/);
  });

  it('precaches the shell in a service worker versioned by the content', async () => {
    const a = await buildDashboard();
    const b = await buildDashboard({ config: { apiBase: 'https://api.lab.example.org' } });
    const sw = a.get('/sw.js')?.body.toString() ?? '';
    for (const path of ['./app.js', './styles.css', './index.html', './manifest.webmanifest'].filter(
      (p) => p !== './index.html',
    ))
      expect(sw).toContain(path);
    expect(sw).toMatch(/labloop-shell-/);
    // config.json is fetched fresh, so the same shell (same service worker) serves any API.
    expect(b.get('/sw.js')?.etag).toBe(a.get('/sw.js')?.etag);
  });

  it('draws real PNG icons at the declared sizes', async () => {
    const png = (await buildDashboard()).get('/icon-192.png')?.body as Buffer;
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([192, 192]);
    const idatLength = png.readUInt32BE(33);
    const pixels = inflateSync(png.subarray(41, 41 + idatLength));
    expect(pixels.length).toBe((192 * 4 + 1) * 192);
  });

  it('writes the same files for static hosting, pointed at another API by config.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'labloop-dashboard-'));
    const files = await writeDashboard(out, {
      config: { apiBase: 'https://api.lab.example.org', title: 'Lab 7' },
    });
    expect(files).toHaveLength(9);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual({
      apiBase: 'https://api.lab.example.org',
      title: 'Lab 7',
    });
  });
});
