// A caseworker fills the referrals template as an Excel user would (issue 17): downloads
// it from the upload page, picks the programme, the source and the decision from its
// drop-downs and types real dates (openpyxl stands in for Excel), uploads it, checks the
// preview of what it would do, and confirms. The column guide is read on the way; a
// refused upload's error report is found again in the history; and the provider's manager
// undoes the upload after a confirmation page. Every
// reference here is made up for the test; the participants are the demo's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, visit, go, signIn, banner, LOGINS } from '../lib/support.js';

const PROGRAMME = 'Serious Violence Mentoring';

test.describe.configure({ mode: 'serial' });

/** Yesterday as YYYY-MM-DD (never in an approved quarter in the demo). */
function yesterday() {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

// Fills rows 2 and 3 of the "Referrals" sheet; a drop-down value must be one of the
// drop-down's own values (picked by its word, in any case), dates are Excel dates.
const FILL = `
import datetime, json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb['Referrals']
heads = [c.value for c in ws[1]]
choices = {}
for dv in ws.data_validations.dataValidation:
    sheet, ref = dv.formula1.lstrip('=').split('!')
    values = [c.value for row in wb[sheet][ref.replace('$', '')] for c in row]
    for rng in dv.sqref.ranges:
        choices[heads[rng.min_col - 1]] = values
def pick(column, wanted):
    for v in choices[column]:
        if v.lower() == wanted.lower():
            return v
    sys.exit(f'{wanted!r} is not in the drop-down of {column}: {choices[column]}')
day = datetime.date.fromisoformat(sys.argv[3])
rows = [
    {'referral_ref': 'BROWSER-X-1', 'participant_ref': 'SVM-0000001', 'programme': pick('programme', sys.argv[4]),
     'referred_on': day, 'source': pick('source', 'police'), 'decision': pick('decision', 'pending')},
    {'referral_ref': 'BROWSER-X-2', 'participant_ref': 'SVM-0000002', 'programme': pick('programme', sys.argv[4]),
     'referred_on': day, 'source': pick('source', 'school'), 'decision': pick('decision', 'pending')},
]
for r, row in enumerate(rows, start=2):
    for column, value in row.items():
        cell = ws.cell(row=r, column=heads.index(column) + 1, value=value)
        if isinstance(value, datetime.date):
            cell.number_format = 'DD/MM/YYYY'
wb.save(sys.argv[2])
print(json.dumps({'freeze': ws.freeze_panes, 'sheets': wb.sheetnames}))
`;

test('a caseworker uploads a filled template, checks the preview and confirms', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await visit(page, '/uploads');

  // The column guide, linked from the upload page.
  await go(page, () => page.getByRole('link', { name: 'read what each column holds in a Referrals file' }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Referrals file: what each column holds');
  await expect(page.locator('.govuk-summary-list')).toContainText('referred_on');
  await expect(page.locator('.govuk-summary-list')).toContainText(PROGRAMME);
  await go(page, () => page.getByRole('link', { name: 'Back to uploads' }).click());

  // The template, filled in.
  const downloaded = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download a template for Referrals (XLSX)' }).click();
  const dir = mkdtempSync(join(tmpdir(), 'outcomes-template-'));
  const template = join(dir, 'template.xlsx'); // openpyxl goes by the extension
  await (await downloaded).saveAs(template);
  const filled = join(dir, 'referrals.xlsx');
  const seen = JSON.parse(execFileSync('python3', ['-c', FILL, template, filled, yesterday(), PROGRAMME]).toString());
  expect(seen.freeze).toBe('A2');
  expect(seen.sheets).toContain('How to fill this in');

  await page.getByLabel('What the file holds').selectOption({ label: 'Referrals' });
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({
    name: 'referrals.xlsx',
    mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    buffer: readFileSync(filled),
  });
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());

  // The preview: nothing written yet.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check what the upload will do');
  const summary = page.locator('.govuk-summary-list');
  await expect(summary.locator('.govuk-summary-list__row', { hasText: 'Records to add' })).toContainText('2');
  await expect(summary.locator('.govuk-summary-list__row', { hasText: 'Records to update' })).toContainText('0');
  await expect(page).not.toHaveURL(/csrf_token/);

  await go(page, () => page.getByRole('button', { name: 'Confirm and import' }).click());
  await expect(page).toHaveURL(/\/uploads$/);
  await expect(banner(page)).toContainText('referrals.xlsx imported: 2 added, 0 updated, 0 unchanged');
  const row = page.locator('table tbody tr', { hasText: 'referrals.xlsx' });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Imported');
});

test('a refused upload is listed with its error report', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await visit(page, '/uploads');
  const csv = Buffer.from(
    'referral_ref,participant_ref,programme,referred_on,source\n' +
      `BROWSER-X-9,SVM-0000003,${PROGRAMME},2025-02-31,police\n`,
  );
  await page.getByLabel('What the file holds').selectOption({ label: 'Referrals' });
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({ name: 'refused.csv', mimeType: 'text/csv', buffer: csv });
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('line 2');
  await expect(page).not.toHaveURL(/csrf_token/);

  await visit(page, '/uploads');
  const refused = page.locator('table', { hasText: 'View the errors' }).locator('tbody tr', { hasText: 'refused.csv' });
  await expect(refused).toHaveCount(1);
  await go(page, () => refused.getByRole('link', { name: /View the errors/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Errors in the upload');
  await expect(page.locator('table tbody tr')).toContainText('referred_on');
});

test('a provider manager undoes the upload after a confirmation page', async ({ page }) => {
  await signIn(page, LOGINS.providerManager);
  await visit(page, '/uploads');
  const row = page.locator('table tbody tr', { hasText: 'referrals.xlsx' });
  await go(page, () => row.getByRole('link', { name: /^Undo/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Undo this upload?');
  await expect(page.locator('.govuk-summary-list')).toContainText('2 (removed by the undo)');
  await go(page, () => page.getByRole('button', { name: 'Undo the upload' }).click());
  await expect(banner(page)).toContainText('Upload of referrals.xlsx undone: 2 records removed');
  await expect(page.locator('table tbody tr', { hasText: 'referrals.xlsx' })).toContainText('Undone');
});
