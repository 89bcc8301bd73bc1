// A commissioner reads a programme's report in internal and published mode, downloads it
// in every format, and reads the VRU dashboard. Issue 6: the HTML report and the
// dashboard pass axe with the demo data (checkPage runs on every page loaded).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test, expect, visit, go, signIn, checkPage, demoPeriod, LOGINS } from '../lib/support.js';

const PROGRAMME = 'Immediate Justice';

const FORMATS = {
  CSV: {
    type: /^text\/csv/,
    check: (bytes) => expect(bytes.toString('utf8').split('\n')[0]).toContain(','),
  },
  XLSX: {
    type: /^application\/vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet$/,
    check: (bytes) => expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004'),
  },
  PDF: {
    type: /^application\/pdf$/,
    check: (bytes) => expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-'),
  },
  JSON: {
    type: /^application\/json/,
    check: (bytes) => expect(typeof JSON.parse(bytes.toString('utf8'))).toBe('object'),
  },
};

async function download(page, mode, text) {
  const link = page
    .locator('h3', { hasText: new RegExp(`^${mode} mode$`, 'i') })
    .locator('xpath=following-sibling::ul[1]')
    .getByRole('link', { name: new RegExp(`^${text}\\b`) });
  const href = await link.getAttribute('href');
  expect(href).toContain(`format=${text.toLowerCase()}`);
  expect(href.includes('published=true')).toBe(mode === 'Published');
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(file.suggestedFilename()).toMatch(new RegExp(`-${mode.toLowerCase()}\\.${text.toLowerCase()}$`));
  // Chromium turns an attachment into a download without reporting its response (nor
  // letting it be routed), so the headers are checked on the same request made with the
  // browser's cookies.
  const response = await page.request.get(href);
  expect(response.status(), `${mode} ${text}`).toBe(200);
  expect(response.headers()['content-type'], `${mode} ${text} content type`).toMatch(FORMATS[text].type);
  expect(response.headers()['content-disposition']).toBe(`attachment; filename="${file.suggestedFilename()}"`);
  const chunks = [];
  for await (const chunk of await file.createReadStream()) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  expect(bytes.length, `${mode} ${text} is not empty`).toBeGreaterThan(100);
  FORMATS[text].check(bytes);
  return file.suggestedFilename();
}

test('a commissioner reads a programme report in both modes and downloads every format', async ({ page }) => {
  await signIn(page, LOGINS.commissioner);
  await visit(page, '/programmes');
  await go(page, () => page.getByRole('link', { name: PROGRAMME, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: 'View the report' }).click());

  // A period that is not one: the error summary links to the field.
  await page.getByLabel('Period', { exact: true }).fill('last year');
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  await expect(page).toHaveTitle(/^Error: /);

  // Internal mode.
  await page.getByLabel('Period', { exact: true }).fill(demoPeriod());
  await page.getByLabel(/Published mode/).uncheck();
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page).toHaveURL(new RegExp(`period=${demoPeriod()}`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(PROGRAMME);
  await expect(page.getByRole('heading', { name: 'Download this report' })).toBeVisible();

  const names = [];
  for (const mode of ['Internal', 'Published']) {
    for (const text of Object.keys(FORMATS)) names.push(await download(page, mode, text));
  }
  expect(new Set(names).size, 'each download has its own file name').toBe(names.length);

  // Published mode: the same page with small counts suppressed.
  await page.getByLabel(/Published mode/).check();
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page).toHaveURL(/published=true/);
  await expect(page.getByLabel(/Published mode/)).toBeChecked();
});

test('a commissioner reads the dashboard and sorts it', async ({ page }) => {
  await signIn(page, LOGINS.commissioner);
  await visit(page, '/dashboard');
  await page.getByLabel('Period', { exact: true }).fill(demoPeriod());
  await go(page, () => page.getByRole('button', { name: 'Show the period' }).click());
  const table = page.locator('#dashboard');
  await expect(table.locator('tbody tr')).toHaveCount(8);
  await expect(table).toContainText(PROGRAMME);

  // Sort by the third column, then the other way round; the header says how it is sorted.
  const header = table.locator('thead th').nth(2);
  await go(page, () => header.getByRole('link').click());
  await expect(table.locator('thead th').nth(2)).toHaveAttribute('aria-sort', /ascending|descending/);
  const first = await table.locator('thead th').nth(2).getAttribute('aria-sort');
  await go(page, () => table.locator('thead th').nth(2).getByRole('link').click());
  await expect(table.locator('thead th').nth(2)).toHaveAttribute('aria-sort', first === 'ascending' ? 'descending' : 'ascending');

  // A programme's name leads to its report for the same period.
  await go(page, () => table.getByRole('link', { name: PROGRAMME, exact: true }).click());
  await expect(page).toHaveURL(new RegExp(`/report\\?period=${demoPeriod()}`));
});

// The standalone HTML document (`outcomes report --format html`, the same view as the page
// without the service around it). scripts/browser-tests sets OUTCOMES_CLI, and the
// DATABASE_URL and key file of the served database.
test('the standalone HTML report passes axe in both modes', async ({ page }) => {
  const cli = process.env.OUTCOMES_CLI;
  expect(cli, 'OUTCOMES_CLI names the outcomes binary (scripts/browser-tests sets it)').toBeTruthy();
  const dir = mkdtempSync(join(tmpdir(), 'outcomes-report-'));
  for (const published of [false, true]) {
    const file = join(dir, published ? 'published.html' : 'internal.html');
    const args = ['report', '--programme', PROGRAMME, '--period', demoPeriod(), '--format', 'html', '--output', file];
    execFileSync(cli, published ? [...args, '--published'] : args, { stdio: 'pipe' });
    expect(readFileSync(file, 'utf8')).toContain(published ? 'Published' : 'Internal');
    await page.goto(pathToFileURL(file).href);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(PROGRAMME);
    await checkPage(page);
  }
});

test('a commissioner finds a funding stream report on the reports page and changes its reoffending settings', async ({ page }) => {
  await signIn(page, LOGINS.commissioner);
  await go(page, () => page.locator('.govuk-service-navigation__link', { hasText: 'Reports' }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Reports');
  // The demo's Immediate Justice grant of the report year, opened for its own year.
  const year = demoPeriod();
  const stream = page.getByRole('link', { name: `Immediate Justice grant ${year}` });
  await go(page, () => stream.click());
  await expect(page).toHaveURL(new RegExp(`/funding-streams/\\d+/report\\?period=${year}$`));
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`Immediate Justice grant ${year}`);
  await expect(page.locator('[data-metric="referrals_received"]').first()).toHaveText(/^[\d,]+$/);

  // Six months' follow-up from the first attended session, through the form's settings.
  await page.locator('.govuk-details__summary').click();
  await page.getByLabel('Follow-up period').selectOption('6');
  await page.getByLabel('Measure reoffending from').selectOption('start');
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page).toHaveURL(/follow_up=6/);
  await expect(page).toHaveURL(/index=start/);
  await expect(page.getByLabel('Follow-up period')).toHaveValue('6');
  const href = await page.getByRole('link', { name: /^PDF/ }).first().getAttribute('href');
  expect(href).toContain('follow_up=6');
  expect(href).toContain('index=start');
});
