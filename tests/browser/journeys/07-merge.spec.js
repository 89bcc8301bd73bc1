// Merging two participants (issue 14): the "Merge with another participant" question, its
// error states and the confirmation page showing both records pass axe. Nothing is
// written: the confirmation is sent without a reason, so the demo's participants stay as
// seeded for the other journeys.
import { test, expect, visit, go, signIn, LOGINS } from '../lib/support.js';

test('a caseworker starts merging two participants and sees both records before anything changes', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await visit(page, '/participants');
  const hrefs = await page
    .locator('main a[href^="/participants/"]')
    .evaluateAll((links) => links.map((a) => a.getAttribute('href')).filter((h) => /^\/participants\/\d+$/.test(h)));
  expect(hrefs.length).toBeGreaterThan(1);
  // A record without a police identifier can be merged with any other.
  let unkeyed = null;
  for (const href of hrefs.slice(0, 25)) {
    await page.goto(href);
    const row = page.locator('.govuk-summary-list__row', { hasText: 'Police identifier' });
    if ((await row.locator('dd').innerText()).includes('Not given')) {
      unkeyed = href;
      break;
    }
  }
  const first = unkeyed ?? hrefs[0];
  const other = hrefs.find((h) => h !== first);
  await visit(page, first);
  const reference = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  await go(page, () => page.getByRole('link', { name: /^Merge with another participant/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Merge with another participant');
  // No reference, then the record itself: both named beside the field.
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the case reference of the record to keep');
  await expect(page).toHaveTitle(/^Error: /);
  await page.getByLabel('Case reference of the record to keep').fill(reference);
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('cannot be merged into itself');
  if (unkeyed) {
    // The confirmation page, and its error when no reason is given.
    await visit(page, `${first}/merge/confirm?into=${other.split('/').pop()}`);
    await expect(page.getByRole('heading', { level: 1 })).toContainText(`Merge ${reference} into`);
    await go(page, () => page.getByRole('button', { name: 'Merge records' }).click());
    await expect(page.locator('.govuk-error-summary')).toContainText('Enter the reason for the correction');
    await expect(page).toHaveTitle(/^Error: /);
  }
});
