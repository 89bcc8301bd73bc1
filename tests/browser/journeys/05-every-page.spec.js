// Every page in each role's navigation, and the pages one step from it (the links in the
// main content that stay on the service and are not downloads, up to four new paths from
// each), pass axe. New pages added to a role's navigation are covered without changing
// this file.
import { test, expect, visit, go, signIn, checkPage, LOGINS } from '../lib/support.js';

// Not pages of ours: downloads, static files, and the API (its documentation at /api/docs/
// is the vendored Swagger UI, whose own markup and colours fail axe; it is developer
// documentation, not part of the GOV.UK-styled service).
const OFF_TOUR = ['/exports/', '/assets/', '/api/'];

test('the public pages pass axe', async ({ page }) => {
  await visit(page, '/');
  // The data protection pages (issue 18), linked from every page's footer.
  for (const path of ['/privacy', '/accessibility', '/cookies']) {
    await visit(page, path);
    await expect(page.locator('footer a[href="' + path + '"]')).toBeVisible();
  }
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Cookies');
  await visit(page, '/login');
  // A failed sign-in shows the error summary.
  await page.getByLabel('Email address').fill('nobody@example.invalid');
  await page.getByLabel('Password').fill('not-the-password');
  await go(page, () => page.getByRole('button', { name: 'Sign in' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  const response = await page.goto('/no-such-page');
  expect(response.status()).toBe(404);
  await checkPage(page);
});

for (const [role, email] of Object.entries(LOGINS)) {
  test(`every page in the ${role}'s navigation passes axe`, async ({ page }) => {
    await signIn(page, email);
    const nav = await page
      .locator('.govuk-service-navigation__link')
      .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(nav.length).toBeGreaterThan(0);
    const seen = new Set(['/logout', ...nav]);
    for (const href of nav) {
      await visit(page, href);
      // One step further: the first few distinct pages linked from the main content.
      const onward = await page
        .locator('main a[href^="/"]:not([download])')
        .evaluateAll((links) => links.map((a) => a.getAttribute('href')));
      // Distinct paths only: the dashboard's sort links differ just in their query.
      const next = onward
        .map((h) => h.split('#')[0])
        .filter((h) => h && !OFF_TOUR.some((prefix) => h.startsWith(prefix)) && !h.includes('format='))
        .filter((h) => !seen.has(h.split('?')[0]) && seen.add(h.split('?')[0]))
        .slice(0, 4);
      for (const h of next) await visit(page, h);
    }
  });
}
