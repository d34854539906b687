import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { type DashboardConfig, DashboardConfigSchema, parseWith } from '../contracts/index.ts';
import { DashboardBuildError } from './errors.ts';
import { iconPng } from './internal/png.ts';

const ROOT = dirname(fileURLToPath(import.meta.url));

/** One file of the built dashboard, ready to serve: its bytes, gzipped bytes, content type and ETag. */
export interface DashboardAsset {
  path: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Options of {@link buildDashboard}. */
export interface DashboardBuildOptions {
  /** Written to `config.json`: where the API lives. @default { apiBase: '' } (same origin) */
  config?: Partial<DashboardConfig>;
  /** @default true */
  minify?: boolean;
}

/** The built dashboard: path (with a leading `/`) → asset. */
export type DashboardAssets = Map<string, DashboardAsset>;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

function asset(path: string, body: Buffer | string): DashboardAsset {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const type = TYPES[path.slice(path.lastIndexOf('.'))];
  if (!type)
    throw new DashboardBuildError(
      `no content type for ${path}; expected one of ${Object.keys(TYPES).join(', ')}`,
    );
  return {
    path,
    type,
    body: bytes,
    gzip: gzipSync(bytes, { level: 9 }),
    etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
  };
}

async function bundle(entry: string, minify: boolean, define: Record<string, string> = {}): Promise<string> {
  try {
    const result = await build({
      entryPoints: [join(ROOT, entry)],
      bundle: true,
      write: false,
      minify,
      format: 'iife',
      target: ['chrome109', 'safari15.4', 'firefox115'],
      charset: 'utf8',
      legalComments: 'none',
      define,
      logLevel: 'silent',
    });
    return (result.outputFiles[0] as { text: string }).text;
  } catch (error) {
    throw new DashboardBuildError(`cannot bundle dashboard/${entry}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Builds the dashboard in memory: bundles `dashboard/src` with esbuild (the app and its service worker), minifies
 * the stylesheet, draws the icons, and writes `config.json`. Nothing generated is committed; the local runtime
 * builds it once per process when its server starts (about a second on this 2-core machine, most of it drawing the icons), and {@link writeDashboard} writes the same files for static
 * hosting.
 *
 * @example
 * const assets = await buildDashboard({ config: { apiBase: 'https://api.lab.example.org' } });
 * assets.get('/app.js')?.gzip.length; // well under 150 KB
 */
export async function buildDashboard(options: DashboardBuildOptions = {}): Promise<DashboardAssets> {
  const minify = options.minify ?? true;
  const config = parseWith(DashboardConfigSchema, options.config ?? {}, 'dashboard config');
  const read = (file: string) => readFileSync(join(ROOT, 'public', file));
  const [app, css] = await Promise.all([
    bundle('src/main.ts', minify),
    build({
      entryPoints: [join(ROOT, 'public/styles.css')],
      bundle: true,
      write: false,
      minify,
      logLevel: 'silent',
    }).then((r) => (r.outputFiles[0] as { text: string }).text),
  ]);
  const files = [
    asset('/index.html', read('index.html')),
    asset('/app.js', app),
    asset('/styles.css', css),
    asset('/manifest.webmanifest', read('manifest.webmanifest')),
    asset('/icon.svg', read('icon.svg')),
    asset('/icon-192.png', iconPng(192)),
    asset('/icon-512.png', iconPng(512)),
    asset('/config.json', `${JSON.stringify(config)}\n`),
  ];
  // config.json is left out of the shell and of its version: it is fetched fresh, so one shell serves any API.
  const shellFiles = files.filter((f) => f.path !== '/config.json');
  const version = createHash('sha256')
    .update(shellFiles.map((f) => f.etag).join(''))
    .digest('hex')
    .slice(0, 12);
  const shell = shellFiles.map((f) => f.path);
  const sw = await bundle('src/sw.ts', minify, {
    __VERSION__: JSON.stringify(version),
    __SHELL__: JSON.stringify(['./', ...shell.filter((p) => p !== '/index.html').map((p) => `.${p}`)]),
  });
  files.push(asset('/sw.js', sw));
  return new Map(files.map((f) => [f.path, f]));
}

/** Builds the dashboard and writes it to `outDir` (for S3/CloudFront or any static host); returns the paths. */
export async function writeDashboard(outDir: string, options: DashboardBuildOptions = {}): Promise<string[]> {
  const assets = await buildDashboard(options);
  const written: string[] = [];
  for (const a of assets.values()) {
    const file = join(outDir, a.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, a.body);
    written.push(file);
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'dist/dashboard' },
      'api-base': { type: 'string' },
      title: { type: 'string' },
    },
  });
  const out = resolve(values.out);
  const files = await writeDashboard(out, {
    config: {
      ...(values['api-base'] === undefined ? {} : { apiBase: values['api-base'].replace(/\/+$/, '') }),
      ...(values.title === undefined ? {} : { title: values.title }),
    },
  });
  process.stdout.write(`wrote ${files.length} files to ${out}\n`);
}
