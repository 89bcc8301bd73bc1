// Quarterly returns (issue 6): the returns list, the commissioner's decision form and the
// admin's unlock form pass axe, including their error states. Nothing is written: each
// form is sent incomplete, so the demo's returns stay as seeded for the other journeys.
import { test, expect, visit, go, signIn } from '../lib/support.js';

const PROGRAMME = 'Immediate Justice';

async function openReturns(page) {
  await visit(page, '/programmes');
  await go(page, () => page.getByRole('link', { name: PROGRAMME, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: 'Quarterly returns' }).click());
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  // The demo approves older quarters and submits the last complete one.
  await expect(page.locator('.govuk-tag', { hasText: 'Approved' }).first()).toBeVisible();
  await expect(page.locator('.govuk-tag', { hasText: 'Submitted' }).first()).toBeVisible();
}

test('a provider manager reads the quarterly returns of a programme', async ({ page }) => {
  await signIn(page, 'manager@remedi.demo.invalid');
  await openReturns(page);
});

test('a commissioner opens a submitted return and is told a return needs a comment', async ({ page }) => {
  await signIn(page, 'commissioner@office-of-the-police-and-crime-commissioner.demo.invalid');
  await openReturns(page);
  await go(page, () => page.getByRole('link', { name: /^Approve or return/ }).first().click());
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Decide on the');
  await page.getByLabel('Return to the provider').check();
  await go(page, () => page.getByRole('button', { name: 'Save decision' }).click());
  const summary = page.locator('.govuk-error-summary');
  await expect(summary).toBeVisible();
  await expect(summary).toContainText('comment');
  await expect(page).toHaveTitle(/^Error: /);
});

test('an admin opens an approved return to unlock it and is told a reason is needed', async ({ page }) => {
  await signIn(page, 'admin@office-of-the-police-and-crime-commissioner.demo.invalid');
  await openReturns(page);
  await go(page, () => page.getByRole('link', { name: /^Unlock/ }).first().click());
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Unlock the');
  await go(page, () => page.getByRole('button', { name: 'Unlock return' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  await expect(page).toHaveTitle(/^Error: /);
});
