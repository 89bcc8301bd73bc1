// An OPCC admin reads the audit trail and finds what the earlier journeys did: the
// participant registered, the report downloads, the offence extract imported.
// (scripts/browser-tests then runs `outcomes audit verify` on the same database.)
import { test, expect, visit, go, signIn, LOGINS } from '../lib/support.js';

async function filter(page, fields) {
  for (const [label, value] of Object.entries(fields)) {
    await page.getByLabel(label, { exact: true }).selectOption(value);
  }
  await go(page, () => page.getByRole('button', { name: 'Filter' }).click());
  return page.locator('tr.app-audit-event');
}

test('an admin finds the journeys in the audit trail', async ({ page }) => {
  await signIn(page, LOGINS.admin);
  await visit(page, '/admin/audit');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Audit trail');
  await expect(page.locator('tr.app-audit-event').first()).toBeVisible();

  let events = await filter(page, { Action: 'create', Entity: 'participant' });
  expect(await events.count(), 'participants created in the browser journeys').toBeGreaterThanOrEqual(1);
  await expect(events.first().locator('td').nth(3)).toHaveText('create');

  events = await filter(page, { Action: 'report_download', Entity: '' });
  for (const format of ['csv', 'xlsx', 'pdf', 'json']) {
    for (const mode of ['internal', 'published']) {
      await expect(events.filter({ hasText: `format=${format} ` }).filter({ hasText: `mode=${mode} ` }).first(), `a ${mode} ${format} report download`).toBeVisible();
    }
  }

  // A report shown as a page is a view, not a download.
  events = await filter(page, { Action: 'report_view', Entity: 'report' });
  await expect(events.filter({ hasText: 'format=html ' }).first(), 'a report page view').toBeVisible();

  events = await filter(page, { Action: 'import', Entity: '' });
  await expect(events.filter({ hasText: 'kind=offences rows=120 added=120' })).toHaveCount(1);
  await expect(events.filter({ hasText: 'kind=participants rows=2 added=2' })).toHaveCount(1);

  events = await filter(page, { Action: 'sign_in', Entity: '' });
  expect(await events.count()).toBeGreaterThanOrEqual(4);
});

test('an admin manages users', async ({ page }) => {
  await signIn(page, LOGINS.admin);
  await visit(page, '/admin/users');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  await expect(page.locator('body')).toContainText(LOGINS.caseworker);
});
