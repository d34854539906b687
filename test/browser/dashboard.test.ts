import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessToken } from '../../contracts/index.ts';
import { type DashboardServer, startDashboardServer } from '../../runtime/api/index.ts';
import type { CampaignSession } from '../../runtime/index.ts';
import { type GatedLab, startGatedLab } from '../support/dashboard-lab.ts';

/**
 * The technician's phone, for real: Debian's Chromium (headless, 390×844, touch) against a dashboard server over a
 * running simulated campaign. One server and one browser for the whole file; the tests run in order and each
 * leaves the campaign where the next one picks it up.
 */
const CHROMIUM = process.env.LABLOOP_CHROMIUM ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI)
  throw new Error(
    `browser tests need Chromium at ${CHROMIUM} in CI; .ci/run installs Debian's chromium package`,
  );
if (!available)
  console.warn(
    `test/browser: SKIPPED — no Chromium at ${CHROMIUM} (apt-get install chromium, or set LABLOOP_CHROMIUM)`,
  );

/** The few browser globals the page functions below use (this file is type-checked without the DOM library). */
interface PageElement {
  offsetParent: unknown;
  tagName: string;
  textContent: string | null;
  getBoundingClientRect(): { width: number; height: number };
}
interface PageGlobals {
  document: {
    body: unknown;
    documentElement: { scrollWidth: number };
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement>;
  };
  MutationObserver: new (
    callback: () => void,
  ) => { observe(target: unknown, options: Record<string, boolean>): void };
  axe: {
    run(options: {
      resultTypes: string[];
    }): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }> }>;
  };
}

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'dashboard');
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const tokens: AccessToken[] = [
  { name: 'alice', role: 'approver', token: 'approver-token-0123456789abcdef' },
  { name: 'bob', role: 'operator', token: 'operator-token-0123456789abcdef' },
  { name: 'wall', role: 'viewer', token: 'viewer-token-0123456789abcdef0' },
];

let lab: GatedLab;
let session: CampaignSession;
let server: DashboardServer;
let browser: Browser;
let contexts: BrowserContext[] = [];
/** One page per person, made together up front: a phone without a token, alice, bob, the lobby screen, dark alice. */
let anonymous!: Page;
let alice!: Page;
let bob!: Page;
let lobby!: Page;
let night!: Page;
const halts = new Map<string, Record<string, unknown>>();

async function phone(options: { colorScheme?: 'light' | 'dark'; width?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 390, height: 844 },
    deviceScaleFactor: 1,
    isMobile: true,
    hasTouch: true,
    colorScheme: options.colorScheme ?? 'light',
    // axe-core is injected as an inline script, which the dashboard's own CSP rightly forbids.
    bypassCSP: true,
  });
  contexts.push(context);
  return context.newPage();
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** axe-core's serious and critical violations on the page as it is now. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.addScriptTag({ content: axeSource });
  // Page functions are sent to the browser as source, so each one names its globals itself.
  const result = await page.evaluate(async () => {
    const { axe } = globalThis as unknown as PageGlobals;
    return (await axe.run({ resultTypes: ['violations'] })).violations;
  });
  return result
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Interactive elements smaller than 44×44 CSS px. */
async function smallTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [
      ...(globalThis as unknown as PageGlobals).document.querySelectorAll(
        'main a, main button, main select, .tabs a',
      ),
    ]
      .filter((el) => el.offsetParent !== null)
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.width < 44 || r.height < 44)
      .map(
        ({ el, r }) =>
          `${el.tagName.toLowerCase()} "${el.textContent?.trim()}" ${Math.round(r.width)}×${Math.round(r.height)}`,
      ),
  );
}

async function open(page: Page, token: string | undefined, hash = ''): Promise<void> {
  await page.goto(`${server.url}/${token ? `?token=${token}` : ''}${hash}`);
  if (token) await page.locator('#conn[data-state="live"]').waitFor();
}

/** Confirms the open dialog, typing a reason. */
async function confirm(page: Page, why?: string): Promise<void> {
  const dialog = page.locator('dialog#confirm');
  await dialog.waitFor();
  if (why) await dialog.locator('textarea').fill(why);
  await dialog.locator('#confirm-ok').click();
}

async function approveAll(page: Page): Promise<number> {
  await page.goto(`${server.url}/#/approvals`);
  const cards = page.locator('[data-approval]');
  await cards.first().waitFor();
  let approved = 0;
  while ((await cards.count()) > 0) {
    const id = await cards.first().getAttribute('data-approval');
    await cards.first().getByRole('button', { name: 'Approve' }).click();
    await confirm(page, 'within the dye budget');
    await page.locator(`[data-approval="${id}"]`).waitFor({ state: 'detached' });
    approved++;
  }
  return approved;
}

const pill = (page: Page, deviceId: string) => page.locator(`[data-device="${deviceId}"] .pill`);

describe.skipIf(!available)(
  'the dashboard on a phone (headless Chromium, 390×844)',
  { timeout: 60_000 },
  () => {
    beforeAll(async () => {
      mkdirSync(ARTIFACTS, { recursive: true });
      lab = await startGatedLab({ lab: 'phone-lab', experiments: 12, batch: 4 });
      session = lab.session;
      session.bus.on('event', (e) => {
        if (e.type === 'result' && e.commandId.startsWith('emergencyStop/')) halts.set(e.deviceId, e.output);
      });
      server = await startDashboardServer({ session, tokens, host: '127.0.0.1', port: 0 });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      });
      [anonymous, alice, bob, lobby, night] = await Promise.all([
        phone(),
        phone(),
        phone(),
        phone(),
        phone({ colorScheme: 'dark' }),
      ]);
    });

    afterAll(async () => {
      for (const context of contexts) await context.close();
      contexts = [];
      await browser?.close();
      await server?.close();
      await lab?.close();
    });

    it('refuses without a token: no data in the page, 401 from the API', async () => {
      const page = anonymous;
      await open(page, undefined);
      await expect(page.locator('#refused h2').textContent()).resolves.toBe('Access refused');
      expect(await page.evaluate(async () => (await fetch('/api/state')).status)).toBe(401);
      await expect(page.locator('#devices').count()).resolves.toBe(0);
      await shoot(page, '0-refused');
      expect(await accessibilityProblems(page)).toEqual([]);
    });

    it('loads with the token, drops it from the address bar and shows every device live', async () => {
      const page = alice;
      await open(page, tokens[0]?.token);
      expect(page.url()).not.toContain('token');
      await expect(pill(page, 'liquid-handler-1').textContent()).resolves.toBe('idle');
      await expect(pill(page, 'plate-reader-1').textContent()).resolves.toBe('idle');
      await page.getByText('4', { exact: true }).first().waitFor();
      await shoot(page, '1-lab');
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTargets(page)).toEqual([]);
      for (const width of [360, 430]) {
        await page.setViewportSize({ width, height: 844 });
        expect(
          await page.evaluate(
            () => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth,
          ),
        ).toBeLessThanOrEqual(width);
      }
      await page.setViewportSize({ width: 390, height: 844 });
    });

    it('an approver approves the pending proposals; they run and device status changes appear live', async () => {
      const page = alice;
      await open(page, tokens[0]?.token, '#/approvals');
      await page.locator('[data-approval]').nth(3).waitFor();
      await shoot(page, '2-approvals');
      expect(await accessibilityProblems(page)).toEqual([]);
      const watcher = lobby;
      await open(watcher, tokens[2]?.token);
      const seen = watcher.evaluate(
        () =>
          new Promise<string[]>((resolve) => {
            const { document, MutationObserver } = globalThis as unknown as PageGlobals;
            const statuses: string[] = [];
            const read = () =>
              document.querySelector('[data-device="liquid-handler-1"] .pill')?.textContent ?? '';
            new MutationObserver(() => {
              const now = read();
              if (statuses.at(-1) !== now) statuses.push(now);
              if (statuses.includes('busy') && now === 'idle') resolve(statuses);
            }).observe(document.body, { subtree: true, childList: true, characterData: true });
          }),
      );
      expect(await approveAll(page)).toBe(4);
      expect(await seen).toEqual(expect.arrayContaining(['busy', 'idle']));
      await page.goto(`${server.url}/#/campaign`);
      await page.locator('#experiments tbody tr .pill', { hasText: 'succeeded' }).nth(3).waitFor();
      await page.locator('svg.chart').first().waitFor();
      await shoot(page, '3-campaign');
      expect(await accessibilityProblems(page)).toEqual([]);
      expect(await smallTargets(page)).toEqual([]);
    });

    it('a viewer sees no controls and the server refuses its actions (403)', async () => {
      const page = lobby;
      await open(page, tokens[2]?.token);
      await expect(page.getByRole('button', { name: 'Pause', exact: true }).count()).resolves.toBe(0);
      const status = await page.evaluate(async (token) => {
        const response = await fetch('/api/actions', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'pause' }),
        });
        return response.status;
      }, tokens[2]?.token);
      expect(status).toBe(403);
    });

    it('an operator pauses (at the next safe point), resumes, pauses now while approvals wait, and resumes', async () => {
      const operator = bob;
      await open(operator, tokens[1]?.token);
      await operator.getByRole('button', { name: 'Pause', exact: true }).click();
      await confirm(operator, 'refilling the blue reservoir');
      await operator.locator('.pill', { hasText: 'pause requested' }).first().waitFor();
      await expect(operator.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
      const approver = alice;
      await open(approver, tokens[0]?.token);
      expect(await approveAll(approver)).toBe(4);
      await operator
        .locator('.pill', { hasText: /^paused$/ })
        .first()
        .waitFor();
      await shoot(operator, '4-paused');
      await operator.getByRole('button', { name: 'Resume' }).click();
      await confirm(operator);
      await operator.locator('.pill', { hasText: 'awaiting approval' }).first().waitFor();
      // Pause now does not wait for the proposals' approval: the campaign is paused at once.
      await operator.getByRole('button', { name: 'Pause now' }).click();
      await confirm(operator, 'wrong plate loaded');
      await operator
        .locator('.pill', { hasText: /^paused$/ })
        .first()
        .waitFor();
      await operator.getByRole('button', { name: 'Resume' }).click();
      await confirm(operator);
      await operator.locator('.pill', { hasText: 'awaiting approval' }).first().waitFor();
      const actions = readFileSync(session.runDir.log.file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line))
        .filter((r) => r.type === 'operator.action' && /^(pause|pause-now|resume)$/.test(r.action));
      expect(actions).toEqual([
        expect.objectContaining({
          action: 'pause',
          who: 'operator:bob',
          why: 'refilling the blue reservoir',
        }),
        expect.objectContaining({ action: 'resume', who: 'operator:bob' }),
        expect.objectContaining({ action: 'pause-now', who: 'operator:bob', why: 'wrong plate loaded' }),
        expect.objectContaining({ action: 'resume', who: 'operator:bob' }),
      ]);
    });

    it('an emergency stop puts every simulated device in its safe state and the phone shows it', async () => {
      const operator = bob;
      await open(operator, tokens[1]?.token);
      await operator.getByRole('button', { name: 'Emergency stop' }).click();
      await confirm(operator, 'smoke near the liquid handler');
      await expect(
        pill(operator, 'liquid-handler-1').filter({ hasText: 'halted' }).waitFor(),
      ).resolves.toBeUndefined();
      await pill(operator, 'plate-reader-1').filter({ hasText: 'halted' }).waitFor();
      expect([...halts.keys()].sort()).toEqual(['liquid-handler-1', 'plate-reader-1']);
      for (const output of halts.values())
        expect(output).toMatchObject({ halted: true, safeState: expect.any(String) });
      await shoot(operator, '5-emergency-stopped');
      await operator.goto(`${server.url}/#/devices/liquid-handler-1`);
      await operator.locator('#history li').first().waitFor();
      await shoot(operator, '6-device');
      expect(await accessibilityProblems(operator)).toEqual([]);
      await operator.goto(`${server.url}/#/alerts`);
      await operator.locator('[data-alert]', { hasText: 'was aborted' }).waitFor();
      await shoot(operator, '7-alerts');
      expect(await accessibilityProblems(operator)).toEqual([]);
      const id = await operator.locator('[data-alert]').first().getAttribute('data-alert');
      const alert = operator.locator(`[data-alert="${id}"]`);
      await alert.getByRole('button', { name: 'Acknowledge' }).click();
      await alert.getByText('acknowledged by operator:bob').waitFor();
    });

    it('is an installable PWA whose shell opens offline', async () => {
      const page = lobby;
      await open(page, tokens[2]?.token);
      const cdp = await page.context().newCDPSession(page);
      const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
        installabilityErrors: Array<{ errorId: string }>;
      };
      // Playwright's contexts are incognito windows, which can never install anything; every other check must pass.
      expect(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito')).toEqual([]);
      await page.evaluate(async () => {
        const { navigator } = globalThis as unknown as {
          navigator: { serviceWorker: { ready: Promise<unknown> } };
        };
        await navigator.serviceWorker.ready;
      });
      await page.reload();
      await page.locator('#conn[data-state="live"]').waitFor();
      await page.context().setOffline(true);
      await page.reload();
      await expect(page.locator('#title').textContent()).resolves.toBe('labloop');
      await page.locator('#conn[data-state="offline"]').waitFor();
      await expect(page.locator('.tabs a').count()).resolves.toBe(4);
      await shoot(page, '9-offline');
      await page.context().setOffline(false);
    });

    it('keeps serving the ended campaign, in dark mode too', async () => {
      await session.done;
      const page = night;
      await open(page, tokens[0]?.token);
      await page.locator('.pill', { hasText: 'aborted' }).first().waitFor();
      await shoot(page, '8-lab-dark');
      expect(await accessibilityProblems(page)).toEqual([]);
    });
  },
);
