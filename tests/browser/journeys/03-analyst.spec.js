// A VRU analyst uploads a police offence extract. The extract is generated here: made-up
// identifiers (TEST-PERSON-n, nothing like a real police reference) and dates before today.
import { test, expect, go, signIn, banner, today, LOGINS } from '../lib/support.js';

const GROUPS = ['violence_with_injury', 'shoplifting', 'criminal_damage_other', 'public_order'];

function daysBefore(date, days) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

function extract(rows) {
  const lines = ['police_id,offence_date,offence_group,proven_on'];
  for (let i = 1; i <= rows; i += 1) {
    const offence = daysBefore(today(), 30 + ((i * 37) % 600));
    const proven = i % 5 === 0 ? '' : daysBefore(offence, -((i * 11) % 25));
    lines.push(`TEST-PERSON-${i % 40},${offence},${GROUPS[i % GROUPS.length]},${proven}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

test('an analyst uploads a police offence extract', async ({ page }) => {
  await signIn(page, LOGINS.analyst);
  await go(page, () => page.getByRole('link', { name: /upload/i }).first().click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Upload a spreadsheet');

  // Without the date the extract is as of, nothing is imported.
  await page.getByLabel('What the file holds').selectOption('offences');
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({ name: 'offences.csv', mimeType: 'text/csv', buffer: extract(120) });
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  await expect(page.locator('.govuk-error-summary')).toContainText(/date/i);

  await page.getByLabel('What the file holds').selectOption('offences');
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({ name: 'offences.csv', mimeType: 'text/csv', buffer: extract(120) });
  await page.getByLabel(/Data as of/).fill(today());
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());

  // The demo's extract is current: the page shows both and asks to confirm (issue 21).
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Replace the police offence extract?');
  await expect(page.locator('body')).toContainText("every programme's reoffending figures will change");
  await expect(page.locator('table')).toContainText('120');
  await page.getByLabel(/The same file/).setInputFiles({ name: 'offences.csv', mimeType: 'text/csv', buffer: extract(120) });
  // 120 rows is fewer than half the demo's: the shrink is confirmed explicitly.
  await page.getByLabel(/replace the current one although it has fewer than half/).check();
  await go(page, () => page.getByRole('button', { name: 'Replace the current extract' }).click());

  await expect(page.locator('.govuk-error-summary')).toHaveCount(0);
  await expect(banner(page)).toContainText('120');
  const upload = page.locator('table tbody tr', { hasText: 'offences.csv' });
  await expect(upload).toHaveCount(1);
  await expect(upload.locator('td').nth(4)).toContainText('Current extract');
  await expect(upload.locator('td').nth(5)).toHaveText('120'); // added
  await expect(page.locator('body')).not.toContainText('TEST-PERSON');

  // The demo's extract can be put back.
  await go(page, () => page.getByRole('button', { name: 'Restore the previous extract' }).click());
  await expect(banner(page)).toContainText('Restored the offence extract');
  await expect(upload.locator('td').nth(4)).toContainText('Replaced (can be restored)');
});
