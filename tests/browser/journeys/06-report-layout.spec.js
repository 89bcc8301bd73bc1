// Issue 22: the report page never scrolls sideways outside its table containers, at a
// 1,280 px and at a 375 px window, and passes axe (checkPage runs on every page loaded).
// Wide tables scroll inside their own keyboard-focusable containers instead.
import { test, expect, visit, go, signIn, demoPeriod, LOGINS } from '../lib/support.js';

for (const width of [1280, 375]) {
  test(`the report page has no horizontal scroll at ${width} px`, async ({ page }) => {
    await page.setViewportSize({ width, height: 900 });
    await signIn(page, LOGINS.commissioner);
    await visit(page, '/programmes');
    await go(page, () => page.getByRole('link', { name: 'Immediate Justice', exact: true }).click());
    await go(page, () => page.getByRole('link', { name: 'View the report' }).click());
    await page.getByLabel('Period', { exact: true }).fill(demoPeriod());
    await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
    await expect(page.getByRole('heading', { name: 'Key figures' })).toBeVisible();
    const sizes = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    expect(sizes.scroll, `page width at ${width} px`).toBeLessThanOrEqual(sizes.client);
    // Every table is inside a focusable scroll container, and reaches it by keyboard.
    const tables = await page.locator('table.govuk-table').count();
    const containers = await page.locator('.app-table-container[tabindex="0"] > table').count();
    expect(containers).toBe(tables);
    // Charts scale to the column.
    for (const img of await page.locator('.app-chart img').all()) {
      const box = await img.boundingBox();
      expect(box.width).toBeLessThanOrEqual(width);
    }
  });
}
