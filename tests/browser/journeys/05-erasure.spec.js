// Data protection (issue 18, second part): the erasure confirmation page, the subject
// access links, a programme's evaluation hold and retention period pass axe, with their
// error states. Nothing is erased and no hold is set: the forms are sent incomplete, so
// the demo stays as seeded for the other journeys.
import { test, expect, visit, go, signIn, demoPeriod, LOGINS } from '../lib/support.js';

test('a provider manager reaches the erasure confirmation and must say why', async ({ page }) => {
  await signIn(page, LOGINS.providerManager);
  await visit(page, '/participants');
  const href = await page
    .locator('main a[href^="/participants/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')).find((h) => /^\/participants\/\d+$/.test(h)));
  await visit(page, href);
  const reference = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  await expect(page.getByRole('link', { name: /download as PDF/ })).toBeVisible();
  await go(page, () => page.getByRole('button', { name: 'Erase this participant' }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Erase ${reference}`);
  await go(page, () => page.getByRole('button', { name: `Erase ${reference}` }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Select why this participant is being erased');
  await expect(page).toHaveTitle(/^Error: /);
  // Still there.
  await visit(page, href);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(reference);
});

test('an analyst opens a programme evaluation hold and is told what is missing', async ({ page }) => {
  await signIn(page, LOGINS.analyst);
  await visit(page, '/programmes');
  const href = await page
    .locator('main a[href^="/programmes/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')).find((h) => /^\/programmes\/\d+$/.test(h)));
  await visit(page, href);
  await go(page, () => page.getByRole('link', { name: /Change\s+evaluation hold/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Evaluation hold');
  await go(page, () => page.getByRole('button', { name: 'Save the hold' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the reason for the hold');
  await expect(page).toHaveTitle(/^Error: /);
});

test('an admin opens a programme retention period and is told what is allowed', async ({ page }) => {
  await signIn(page, LOGINS.admin);
  await visit(page, '/programmes');
  const href = await page
    .locator('main a[href^="/programmes/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')).find((h) => /^\/programmes\/\d+$/.test(h)));
  await visit(page, `${href}/retention`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Retention period');
  await page.getByLabel(/Months to keep records/).fill('0');
  await go(page, () => page.getByRole('button', { name: 'Save the retention period' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter a whole number of months from 1 to 1200');
  await expect(page).toHaveTitle(/^Error: /);
});

test('an admin reads the report archive', async ({ page }) => {
  await signIn(page, LOGINS.admin);
  // A report downloaded (through the API, with the session) is archived.
  await visit(page, '/programmes');
  const programme = await page
    .locator('main a[href^="/programmes/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')).find((h) => /^\/programmes\/\d+$/.test(h)));
  const id = programme.split('/').pop();
  const res = await page.request.get(`/api/v1/reports/programmes/${id}?period=${demoPeriod()}`);
  expect(res.status()).toBe(200);
  await visit(page, '/admin/report-archive');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Report archive');
  const entry = await page
    .locator('main a[href^="/admin/report-archive/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href'))[0]);
  expect(entry).toBeTruthy();
  await visit(page, entry);
  await expect(page.getByRole('heading', { level: 2, name: 'Erasures since it was archived' })).toBeVisible();
});
