// The axe check itself can fail: a page with known WCAG failures is refused, naming them.
// (Guards against a configuration under which axe runs no rules and everything passes.)
import { test, expect, checkPage } from '../lib/support.js';

test('the axe check fails on a page that breaks WCAG', async ({ page }) => {
  await page.setContent(`<!DOCTYPE html><html><head><title>Broken</title></head><body>
    <main><img src="data:,"><label>Name</label><input type="text">
    <p style="color:#aaa;background:#fff">Too faint</p></main></body></html>`);
  const failure = await checkPage(page).then(() => null, (e) => e);
  expect(failure, 'axe found violations').not.toBeNull();
  for (const rule of ['image-alt', 'label', 'color-contrast', 'html-has-lang']) {
    expect(failure.message).toContain(rule);
  }
});
