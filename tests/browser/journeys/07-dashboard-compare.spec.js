// Issue 19: the VRU dashboard compares honestly. A commissioner reads it (axe on every
// page), sees n and the caution flag beside every reoffending rate, filters it, sorts by
// reoffending (ranked by the interval), and goes from "compare these two" to the first
// programme's report compared with the second.
import { test, expect, visit, go, signIn, demoPeriod, LOGINS } from '../lib/support.js';

const FIRST = 'Immediate Justice';
const SECOND = 'Immediate Justice (tailored workshop only)';
const CAUTION = 'Fewer than 30: interpret with caution';

/** The dashboard's columns (td, after the provider): referrals 1, acceptance 2, completion
 * 3, attendance 4, reoffending 5, measurable 6. */
const REOFFENDING = 5;
const MEASURABLE = 6;

async function openDashboard(page) {
  await signIn(page, LOGINS.commissioner);
  await visit(page, `/dashboard?period=${demoPeriod()}`);
  return page.locator('#dashboard');
}

test('the dashboard shows n and the caution flag beside every reoffending rate', async ({ page }) => {
  const table = await openDashboard(page);
  await expect(page.locator('#dashboard-caveat')).toContainText('Differences between programmes are not evidence of effect');
  const rows = table.locator('tbody tr');
  const count = await rows.count();
  expect(count).toBeGreaterThan(1);
  for (let i = 0; i < count; i++) {
    const row = rows.nth(i);
    const name = await row.locator('th').innerText();
    const n = (await row.locator('td').nth(MEASURABLE).innerText()).trim();
    expect(n, `${name}: n`).not.toBe('');
    // A number of 30 or more, or the flag (a smaller number, or withheld as too few).
    const number = Number(n.split(/\s/)[0].replace(/,/g, ''));
    if (!(Number.isFinite(number) && number >= 30)) {
      await expect(row.locator('td').nth(MEASURABLE), `${name}: caution`).toContainText(CAUTION);
    }
    const rate = (await row.locator('td').nth(REOFFENDING).innerText()).trim();
    expect(rate, `${name}: rate`).not.toBe('');
  }
  // The chart of the rates has a text alternative and a table of its values.
  const rates = page.locator('#dashboard-rates');
  if (await rates.count()) {
    await expect(page.locator('figure.app-chart img')).toHaveAttribute('alt', /Reoffending rate with its 95% confidence interval/);
  }
});

test('the dashboard filters by kind and sorts reoffending by the interval', async ({ page }) => {
  const table = await openDashboard(page);
  await page.getByLabel('Kind of programme').selectOption('immediate_justice');
  await go(page, () => page.getByRole('button', { name: 'Show the period' }).click());
  await expect(page).toHaveURL(/kind=immediate_justice/);
  const names = await table.locator('tbody th').allInnerTexts();
  expect(names.length).toBeGreaterThan(0);
  for (const name of names) expect(name).toMatch(/Immediate Justice/);

  await go(page, () => table.getByRole('link', { name: 'Reoffending rate (95% interval)' }).click());
  await expect(page).toHaveURL(/sort=reoffending/);
  await expect(page).toHaveURL(/kind=immediate_justice/);
  await expect(page.locator('#dashboard-sort-note')).toContainText('Sorted by the 95% interval, not the rate');
});

/** Chooses the two programmes and follows "Compare these two" to the report. */
async function compareTheTwo(page) {
  await openDashboard(page);
  const form = page.locator('#compare');
  await form.getByLabel('First programme').selectOption({ label: await optionLabel(page, 'first', FIRST) });
  await form.getByLabel('Second programme').selectOption({ label: await optionLabel(page, 'second', SECOND) });
  await go(page, () => form.getByRole('button', { name: 'Compare these two' }).click());
}

test('compare these two leads to the comparison report', async ({ page }) => {
  await compareTheTwo(page);
  await expect(page).toHaveURL(new RegExp(`/programmes/\\d+/report\\?period=${demoPeriod()}&compare=programme:\\d+$`));
  const response = await page.request.get(page.url());
  expect(response.status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1 })).toContainText(FIRST);
});

// The comparison itself (items 1 and 4 of issue 19): the report page takes
// `compare=programme:ID`.
test('the comparison report from the dashboard shows the comparison', async ({ page }) => {
  await compareTheTwo(page);
  await expect(page.locator('#table-comparison_rates')).toBeVisible();
  await expect(page.locator('#table-comparison_rates')).toContainText(SECOND);
});

test('compare these two asks again when the same programme is chosen twice', async ({ page }) => {
  await openDashboard(page);
  const form = page.locator('#compare');
  const label = await optionLabel(page, 'first', FIRST);
  await form.getByLabel('First programme').selectOption({ label });
  await form.getByLabel('Second programme').selectOption({ label });
  await go(page, () => form.getByRole('button', { name: 'Compare these two' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  await expect(page).toHaveTitle(/^Error: /);
  await expect(page.locator('#second-error')).toBeVisible();
});

/** The full text of the option of `select` whose programme is `name` ("Name (Provider)"). */
async function optionLabel(page, select, name) {
  const labels = await page.locator(`#${select} option`).allInnerTexts();
  const found = labels.find((l) => l.startsWith(`${name} (`) && !l.slice(name.length + 2).startsWith('tailored'));
  expect(found, `an option for ${name} in ${labels.join(', ')}`).toBeTruthy();
  return found;
}
