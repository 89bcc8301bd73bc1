// What every journey shares: a `page` fixture that insists every document the journey
// loads is checked with axe, the axe check itself, navigation helpers that check the page
// they arrive at, sign-in, and the demo's logins.
import { test as base, expect } from '@playwright/test';
import { AxeBuilder } from '@axe-core/playwright';

/** WCAG 2.2 AA: the axe tags of every A and AA success criterion up to 2.2. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Every demo login has this password (src/cli.rs, DEMO_PASSWORD). */
export const DEMO_PASSWORD = 'demo-password-outcomes';

/** One demo login per role (src/demo/mod.rs, suggested_logins). */
export const LOGINS = {
  caseworker: 'caseworker@remedi.demo.invalid',
  providerManager: 'manager@remedi.demo.invalid',
  commissioner: 'commissioner@office-of-the-police-and-crime-commissioner.demo.invalid',
  admin: 'admin@office-of-the-police-and-crime-commissioner.demo.invalid',
  analyst: 'analyst@violence-reduction-unit.demo.invalid',
};

/** Today as YYYY-MM-DD (the browser, the service and the demo all run here, in UTC). */
export function today() {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Types a YYYY-MM-DD date into the GOV.UK date input whose legend is `legend` (its Day,
 * Month and Year boxes), as a person would: no leading zeros.
 */
export async function fillDate(page, legend, iso) {
  const group = page.getByRole('group', { name: legend, exact: true });
  const [y, m, d] = iso.split('-').map(Number);
  await group.getByLabel('Day').fill(String(d));
  await group.getByLabel('Month').fill(String(m));
  await group.getByLabel('Year').fill(String(y));
}

/** The date in the GOV.UK date input whose legend is `legend`, as YYYY-MM-DD. */
export async function dateValue(page, legend) {
  const group = page.getByRole('group', { name: legend, exact: true });
  const [d, m, y] = await Promise.all(['Day', 'Month', 'Year'].map((l) => group.getByLabel(l).inputValue()));
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

/** A YYYY-MM-DD date as the pages show it, GOV.UK style: "5 January 2026". */
export function shown(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  return `${d} ${months[m - 1]} ${y}`;
}

/** The financial year the demo suggests for reports: two before the one holding today
 * (src/cli.rs, first_full_year), so its twelve-month reoffending is measurable. */
export function demoPeriod() {
  const now = new Date();
  const fyStart = now.getUTCMonth() >= 3 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const start = fyStart - 2;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/**
 * `test` with a `page` that counts every document loaded in its main frame. At the end of
 * a passing journey, each of them must have been checked with `checkPage` (navigations go
 * through `visit` and `go`, which do it), so no page a journey visits escapes axe.
 */
export const test = base.extend({
  page: async ({ page }, use, testInfo) => {
    const loaded = [];
    page.on('load', () => loaded.push(page.url()));
    // Script errors and console errors (a Content-Security-Policy refusal is one) fail the
    // journey too. A document answering 4xx on purpose logs "Failed to load resource";
    // the status is asserted where that happens, so those lines are left out.
    const errors = [];
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
        errors.push(`${page.url()}: ${m.text()}`);
      }
    });
    page.axeChecked = new Map(); // document (performance.timeOrigin) -> URL
    await use(page);
    if (testInfo.status === testInfo.expectedStatus) {
      expect(errors, 'no script or console errors').toEqual([]);
      const checked = [...page.axeChecked.values()];
      expect(
        checked.length,
        `every page loaded was checked with axe\nloaded:  ${loaded.join('\n         ')}\nchecked: ${checked.join('\n         ')}`,
      ).toBeGreaterThanOrEqual(loaded.length);
    }
  },
});
export { expect };

function describe(violations) {
  return violations
    .map((v) => {
      const shown = v.nodes.slice(0, 5);
      const more = v.nodes.length > shown.length ? `\n    … and ${v.nodes.length - shown.length} more` : '';
      const nodes =
        shown
          .map((n) => `    ${n.target.join(' ')}\n      ${n.failureSummary.replace(/\n/g, '\n      ')}`)
          .join('\n') + more;
      return `  ${v.id} (${v.impact}): ${v.help}\n    ${v.helpUrl}\n${nodes}`;
    })
    .join('\n');
}

/** Runs axe (WCAG 2.2 AA) on the page as it is now; fails listing every violation. */
export async function checkPage(page) {
  await page.waitForLoadState('load');
  const url = page.url();
  await test.step(`axe: ${new URL(url).pathname}${new URL(url).search}`, async () => {
    const started = Date.now();
    const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
    if (process.env.AXE_TIMING) console.log(`axe ${Date.now() - started} ms ${url}`);
    const document = await page.evaluate(() => performance.timeOrigin);
    page.axeChecked.set(document, url);
    if (results.violations.length > 0) {
      await test.info().attach(`axe-violations-${page.axeChecked.size}.json`, {
        body: JSON.stringify({ url, violations: results.violations }, null, 2),
        contentType: 'application/json',
      });
    }
    expect(results.violations.length, `axe violations on ${url}:\n${describe(results.violations)}`).toBe(0);
  });
}

/** Opens a path and checks the page. */
export async function visit(page, path) {
  const response = await page.goto(path);
  expect(response.status(), `GET ${path}`).toBeLessThan(400);
  await checkPage(page);
  return response;
}

/** Does something that loads a new document (a click, Enter in a form), waits for it and
 * checks it. */
export async function go(page, action) {
  const loaded = page.waitForEvent('load');
  await action();
  await loaded;
  await checkPage(page);
}

/** Signs in through the sign-in page. */
export async function signIn(page, email) {
  await visit(page, '/login');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await go(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  await expect(page).not.toHaveURL(/\/login/);
}

/** The flash message (notification banner) or the page's error summary, as text. */
export function banner(page) {
  return page.locator('.govuk-notification-banner');
}
