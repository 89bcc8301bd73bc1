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

  // The question, its errors: no reference, then the record itself.
  const first = hrefs[0];
  await visit(page, first);
  const reference = (await page.getByRole('heading', { level: 1 }).innerText()).trim();
  await go(page, () => page.getByRole('link', { name: /^Merge with another participant/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Merge with another participant');
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the case reference of the record to keep');
  await expect(page).toHaveTitle(/^Error: /);
  await page.getByLabel('Case reference of the record to keep').fill(reference);
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('cannot be merged into itself');

  // The confirmation page, for a pair the service would merge (two different police
  // identifiers, or a referral in an approved quarter, send it back to the question).
  let found = false;
  for (const href of hrefs.slice(0, 8)) {
    const other = hrefs.find((h) => h !== href);
    await visit(page, `${href}/merge/confirm?into=${other.split('/').pop()}`);
    if (page.url().includes('/merge/confirm')) {
      found = true;
      break;
    }
  }
  if (found) {
    await expect(page.getByRole('heading', { level: 1 })).toContainText('Merge ');
    await go(page, () => page.getByRole('button', { name: 'Merge records' }).click());
    await expect(page.locator('.govuk-error-summary')).toContainText('Enter the reason for the correction');
    await expect(page).toHaveTitle(/^Error: /);
  }
});
