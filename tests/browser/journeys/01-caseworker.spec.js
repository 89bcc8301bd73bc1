// A Remedi caseworker's day: register a participant, refer and accept them, take a whole
// session register with the keyboard only, record an outcome, upload a spreadsheet that
// has an error, then its correction; and correct the record on the pages (a date of birth,
// a referral date, a session date, a register mark; a withdrawn referral reopened and
// closed as completed), each in the History with its reason. Every reference here is
// made up for the test.
import { test, expect, visit, go, signIn, checkPage, banner, today, shown, fillDate, dateValue, LOGINS } from '../lib/support.js';

const PROGRAMME = 'Serious Violence Mentoring';
const PARTICIPANT = 'BROWSER-P-1';

test.describe.configure({ mode: 'serial' });

test('a caseworker registers a participant', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your casework');
  await go(page, () => page.getByRole('button', { name: 'Register a participant' }).click());

  // Submitting without a reference: the error summary links to the field.
  await go(page, () => page.getByRole('button', { name: 'Register participant' }).click());
  const summary = page.locator('.govuk-error-summary');
  await expect(summary).toBeVisible();
  await expect(page).toHaveTitle(/^Error: /);
  await expect(summary.getByRole('link').first()).toHaveAttribute('href', '#reference');

  await page.getByLabel('Case reference').fill(PARTICIPANT);
  await fillDate(page, 'Date of birth (optional)', '2011-06-15');
  await page.getByRole('radio', { name: 'Female' }).check();
  await page.getByLabel('Ethnicity').selectOption({ label: 'Not stated' });
  await page.getByLabel('District (optional)').fill('Derby');
  await go(page, () => page.getByRole('button', { name: 'Register participant' }).click());

  await expect(page).toHaveURL(/\/participants\/\d+$/);
  await expect(banner(page)).toContainText('Participant registered');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(PARTICIPANT);
  await expect(page.locator('.govuk-summary-list')).toContainText(shown('2011-06-15'));
});

test('a caseworker records a referral and accepts it', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Find a participant' }).click());
  await go(page, () => page.getByRole('link', { name: PARTICIPANT, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: `Record a referral for ${PARTICIPANT}` }).click());

  await expect(page.locator('.govuk-caption-l')).toHaveText(`Participant ${PARTICIPANT}`);
  await page.getByLabel('Programme').selectOption({ label: PROGRAMME });
  await page.getByLabel('Referral reference (optional)').fill('BROWSER-R-1');
  await fillDate(page, 'Date of the referral', today());
  await page.getByLabel('Referred by').selectOption({ label: 'Police' });
  await go(page, () => page.getByRole('button', { name: 'Record referral' }).click());

  await expect(banner(page)).toContainText('Referral recorded');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('BROWSER-R-1');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Pending');

  await go(page, () => page.getByRole('button', { name: 'Record the decision' }).click());
  await page.getByRole('radio', { name: 'Accepted' }).check();
  await fillDate(page, 'Date of the decision', today());
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());

  await expect(page.getByRole('heading', { level: 1 })).toContainText('Open');
  await expect(page.locator('.govuk-summary-list')).toContainText(`DecisionAccepted on ${shown(today())}`);
});

// Attended, did not attend, cancelled in turn; hours only for those who attended.
const STATUSES = ['attended', 'did_not_attend', 'cancelled'];

test('a caseworker takes a whole session register with the keyboard only', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: `record a session of ${PROGRAMME}` }).click());
  await fillDate(page, 'Date of the session', today());
  // A group session lists every open referral of the programme (a one-to-one session
  // lists only the people chosen for it: 10-find.spec.js).
  await page.getByRole('radio', { name: 'Group' }).check();
  await page.getByLabel('Session reference (optional)').fill('BROWSER-S-1');
  await go(page, () => page.getByRole('button', { name: 'Record session' }).click());
  await expect(banner(page)).toContainText('now take the register');

  // The register form, from here on by keyboard alone: Tab to move, arrow keys and Space
  // to choose within a row's radios, typing for hours, Enter to submit.
  const ids = await page
    .locator('input[type=radio][name^="status_"]')
    .evaluateAll((inputs) => [...new Set(inputs.map((i) => i.name.slice('status_'.length)))]);
  expect(ids.length, 'the register lists the open referrals').toBeGreaterThan(1);
  test.info().annotations.push({ type: 'register rows', description: String(ids.length) });
  const references = await page.locator('form table tbody th').allInnerTexts();
  expect(references).toContain('BROWSER-R-1');

  const focused = () => page.evaluate(() => document.activeElement && document.activeElement.name);
  const tabTo = async (name, most) => {
    for (let i = 0; i < most; i += 1) {
      await page.keyboard.press('Tab');
      if ((await focused()) === name) return;
    }
    throw new Error(`${most} presses of Tab did not reach ${name} (at ${await focused()})`);
  };

  // From the top of the page (skip link, header, navigation) to the first row.
  await tabTo(`status_${ids[0]}`, 60);
  for (const [i, id] of ids.entries()) {
    if (i > 0) await tabTo(`status_${id}`, 3); // the next row's referral link, then its radios
    const status = STATUSES[i % STATUSES.length];
    if (status === 'attended') {
      await page.keyboard.press('Space'); // an unchecked group takes focus on its first radio
    } else {
      for (let k = 0; k < STATUSES.indexOf(status); k += 1) await page.keyboard.press('ArrowRight');
    }
    await expect(page.locator(`input[name="status_${id}"]:checked`)).toHaveValue(status);
    await tabTo(`hours_${id}`, 1);
    if (status === 'attended') await page.keyboard.type('1.5');
  }
  await tabTo('headcount', 1);
  await page.keyboard.type('2');
  await go(page, () => page.keyboard.press('Enter'));

  await expect(banner(page)).toContainText(`Register saved: ${ids.length} on the register (${ids.filter((_, i) => STATUSES[i % STATUSES.length] === 'attended').length} attended), 2 unnamed attendees`);
  for (const [i, id] of ids.entries()) {
    const status = STATUSES[i % STATUSES.length];
    await expect(page.locator(`input[name="status_${id}"]:checked`)).toHaveValue(status);
    await expect(page.locator(`#hours_${id}`)).toHaveValue(status === 'attended' ? /^1\.5/ : '');
  }
  await expect(page.locator('#headcount')).toHaveValue('2');

  // The referral shows the session it was on the register of.
  const ours = ids[references.indexOf('BROWSER-R-1')];
  await go(page, () => page.getByRole('link', { name: 'BROWSER-R-1', exact: true }).click());
  await expect(page).toHaveURL(new RegExp(`/referrals/${ours}$`));
  const row = page.locator('#attendance tbody tr', { hasText: 'BROWSER-S-1' });
  const expected = STATUSES[references.indexOf('BROWSER-R-1') % STATUSES.length];
  await expect(row).toContainText({ attended: 'Attended', did_not_attend: 'Did not attend', cancelled: 'Cancelled' }[expected], { ignoreCase: true });
});

test('a caseworker records an outcome measure', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Find a participant' }).click());
  await go(page, () => page.getByRole('link', { name: PARTICIPANT, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: 'BROWSER-R-1', exact: true }).click());
  await go(page, () => page.getByRole('button', { name: 'Record outcome measures' }).click());

  // The form asks every measure of Serious Violence Mentoring's framework at once.
  const measure = 'Feels safe in the community (1-5)';
  const box = page.getByLabel('Feels safe in the community', { exact: true });
  await expect(page.locator('#' + (await box.getAttribute('id')) + '-hint')).toHaveText('1 to 5, higher is better');
  await page.getByRole('radio', { name: 'Baseline' }).check();
  await fillDate(page, 'Date', today());
  // Out of the measure's range first: the error is shown against the field.
  await box.fill('9');
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  await expect(page.locator('.govuk-error-summary')).toContainText("the range of 'Feels safe in the community (1-5)'");

  await box.fill('3');
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());
  await expect(banner(page)).toContainText('Outcome recorded');
  const row = page.locator('table tbody tr', { hasText: measure });
  await expect(row).toContainText('Baseline', { ignoreCase: true });
  await expect(row).toContainText(shown(today()));
  await expect(row.locator('td').nth(3)).toHaveText(/^3(\.0+)?$/); // the last cell holds its links
});

test('a caseworker uploads a spreadsheet with an error, then the corrected one', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('button', { name: 'Upload a spreadsheet' }).click());

  const csv = (badDate) =>
    Buffer.from(
      'reference,date_of_birth,gender,ethnicity,district\n' +
        'BROWSER-U-1,2010-02-03,male,white,Derby\n' +
        `BROWSER-U-2,${badDate},female,not_stated,Amber Valley\n`,
    );
  await page.getByLabel('What the file holds').selectOption('participants');
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({ name: 'participants.csv', mimeType: 'text/csv', buffer: csv('2010-13-01') });
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());

  const summary = page.locator('.govuk-error-summary');
  await expect(summary).toBeVisible();
  await expect(summary).toContainText('line 3');
  await expect(summary).toContainText('date_of_birth');
  const errorRow = page.locator('table', { hasText: 'Errors in the file' }).locator('tbody tr');
  await expect(errorRow).toHaveCount(1);
  await expect(errorRow.locator('td').nth(0)).toHaveText('3');
  await expect(errorRow.locator('td').nth(1)).toHaveText('date_of_birth');
  // Nothing was written: the upload is listed only as refused.
  await expect(page.locator('table tbody tr', { hasText: 'participants.csv' }).filter({ hasText: 'Imported' })).toHaveCount(0);
  await expect(page.locator('table', { hasText: 'View the errors' }).locator('tbody tr', { hasText: 'participants.csv' })).toHaveCount(1);

  await page.getByLabel('What the file holds').selectOption('participants');
  await page.getByLabel('File (XLSX, ODS or CSV)').setInputFiles({ name: 'participants.csv', mimeType: 'text/csv', buffer: csv('2010-12-01') });
  await go(page, () => page.getByRole('button', { name: 'Upload' }).click());
  await expect(page.locator('.govuk-error-summary')).toHaveCount(0);
  // The preview; a participants file may hold police identifiers, so it is not kept:
  // the same file is chosen again to confirm.
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Check what the upload will do');
  await expect(page.locator('.govuk-summary-list__row', { hasText: 'Records to add' })).toContainText('2');
  await page.getByLabel('The same file: participants.csv').setInputFiles({ name: 'participants.csv', mimeType: 'text/csv', buffer: csv('2010-12-01') });
  await go(page, () => page.getByRole('button', { name: 'Confirm and import' }).click());
  await expect(banner(page)).toContainText('2');
  const upload = page.locator('table tbody tr', { hasText: 'participants.csv' }).filter({ hasText: 'Imported' });
  await expect(upload).toHaveCount(1);
  await expect(upload.locator('td').nth(5)).toHaveText('2'); // added (after When, Who, Kind, File, Status)

  await visit(page, '/participants');
  await expect(page.getByRole('link', { name: 'BROWSER-U-2', exact: true })).toBeVisible();
  await checkPage(page);
});

/** Yesterday as YYYY-MM-DD (in the last complete quarter at worst, which the demo leaves
 * submitted, not approved: so not locked). */
function yesterday() {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

/** The History row holding `reason`. */
function historyRow(page, reason) {
  return page.locator('#history-table tbody tr', { hasText: reason });
}

async function saveChange(page, reason) {
  await page.getByLabel('Why are you making this change?').fill(reason);
  await go(page, () => page.getByRole('button', { name: 'Save the change' }).click());
}

test('a caseworker corrects the record on the pages and sees each change in the history', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Find a participant' }).click());
  await go(page, () => page.getByRole('link', { name: PARTICIPANT, exact: true }).click());

  // A date of birth: a change without a reason is refused, naming the field.
  await go(page, () => page.getByRole('link', { name: 'Change date of birth' }).click());
  expect(await dateValue(page, 'Date of birth')).toBe('2011-06-15');
  await fillDate(page, 'Date of birth', '2011-07-15');
  await go(page, () => page.getByRole('button', { name: 'Save the change' }).click());
  await expect(page).toHaveTitle(/^Error: /);
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the reason for the correction');
  expect(await dateValue(page, 'Date of birth')).toBe('2011-07-15');
  await saveChange(page, 'Typed the wrong month');
  await expect(banner(page)).toContainText('Date of birth changed');
  await expect(page.locator('.govuk-summary-list')).toContainText(shown('2011-07-15'));
  await expect(historyRow(page, 'Typed the wrong month')).toContainText('Date of birth: changed');

  // A referral date.
  await go(page, () => page.getByRole('link', { name: 'BROWSER-R-1', exact: true }).click());
  const referral = new URL(page.url()).pathname.split('/').pop();
  await go(page, () => page.getByRole('link', { name: 'Change date of the referral' }).click());
  expect(await dateValue(page, 'Date of the referral')).toBe(today());
  await fillDate(page, 'Date of the referral', yesterday());
  await saveChange(page, 'Date from the police form');
  await expect(banner(page)).toContainText('Date of the referral changed');
  await expect(historyRow(page, 'Date from the police form')).toContainText(`Referred on: ${today()} → ${yesterday()}`);

  // A session date, then a register mark.
  await visit(page, '/');
  await go(page, () => page.getByRole('link', { name: `record a session of ${PROGRAMME}` }).click());
  await fillDate(page, 'Date of the session', today());
  await page.getByRole('radio', { name: 'Group' }).check();
  await page.getByLabel('Session reference (optional)').fill('BROWSER-S-2');
  await go(page, () => page.getByRole('button', { name: 'Record session' }).click());
  await go(page, () => page.getByRole('link', { name: 'Change date of the session' }).click());
  await fillDate(page, 'Date of the session', yesterday());
  await saveChange(page, 'Wrong day');
  await expect(banner(page)).toContainText('Date of the session changed');
  await expect(historyRow(page, 'Wrong day')).toContainText(`Date: ${today()} → ${yesterday()}`);

  await page.locator(`input[name="status_${referral}"][value="attended"]`).check();
  await page.locator(`#hours_${referral}`).fill('1');
  await go(page, () => page.getByRole('button', { name: 'Save the register' }).click());
  await expect(banner(page)).toContainText('Register saved: 1 on the register (1 attended)');
  await page.locator(`input[name="status_${referral}"][value="did_not_attend"]`).check();
  await page.locator(`#hours_${referral}`).fill('');
  await page.getByLabel('Reason for correcting marks already recorded (optional)').fill('Marked the wrong person');
  await go(page, () => page.getByRole('button', { name: 'Save the register' }).click());
  await expect(banner(page)).toContainText('Register saved: 1 on the register (0 attended)');
  await expect(historyRow(page, 'Marked the wrong person')).toContainText('Attendance BROWSER-R-1: attended, 1 hour → did not attend');

  // A referral closed as withdrawn by mistake: reopened, then closed as completed.
  await go(page, () => page.getByRole('link', { name: 'BROWSER-R-1', exact: true }).click());
  const heading = page.getByRole('heading', { level: 1 });
  await go(page, () => page.getByRole('button', { name: 'Close the referral' }).click());
  await page.getByRole('radio', { name: 'Withdrawn' }).check();
  await fillDate(page, 'Date the referral was closed', today());
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());
  await expect(heading).toContainText('Withdrawn');
  await go(page, () => page.getByRole('link', { name: 'Reopen the referral' }).click());
  await page.getByLabel('Why are you reopening it?').fill('Closed the wrong referral');
  await go(page, () => page.getByRole('button', { name: 'Reopen the referral' }).click());
  await expect(banner(page)).toContainText('Referral reopened');
  await expect(heading).toContainText('Open');
  await go(page, () => page.getByRole('button', { name: 'Close the referral' }).click());
  await page.getByRole('radio', { name: 'Completed' }).check();
  await fillDate(page, 'Date the referral was closed', today());
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());
  await expect(heading).toContainText('Completed');
  await expect(historyRow(page, 'Closed the wrong referral')).toContainText('Closure: withdrawn → open');
  await expect(historyRow(page, 'Date from the police form')).toBeVisible();
});

test('a caseworker corrects an outcome value, and voids a session then restores it from its history', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Find a participant' }).click());
  await go(page, () => page.getByRole('link', { name: PARTICIPANT, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: 'BROWSER-R-1', exact: true }).click());

  // The outcome recorded earlier (3): its value corrected, then its own history page.
  await go(page, () => page.locator('a[href^="/outcomes/"][href$="/change"]').first().click());
  await expect(page.getByLabel('Value')).toHaveValue(/^3(\.0+)?$/);
  await page.getByLabel('Value').fill('4');
  await saveChange(page, 'Read the scale the wrong way');
  await expect(banner(page)).toContainText('Outcome record changed');
  await go(page, () => page.locator('a[href^="/outcomes/"][href$="/history"]').first().click());
  await expect(historyRow(page, 'Read the scale the wrong way')).toContainText('Value: 3');
  await go(page, () => page.getByRole('link', { name: 'Back' }).click());

  // A session recorded by mistake: voided, then restored from its history.
  await go(page, () => page.getByRole('link', { name: 'BROWSER-S-2', exact: true }).click());
  await go(page, () => page.getByRole('button', { name: 'Void this session' }).click());
  await go(page, () => page.getByRole('button', { name: 'Void the record' }).click());
  await expect(page.locator('.govuk-error-summary')).toContainText('Enter the reason for the correction');
  await page.getByLabel('Why are you voiding it?').fill('Recorded twice');
  await go(page, () => page.getByRole('button', { name: 'Void the record' }).click());
  await expect(banner(page)).toContainText('Session voided');
  await expect(page.locator('.govuk-warning-text')).toContainText('Recorded twice');
  await go(page, () => page.getByRole('button', { name: 'Restore this session' }).click());
  await page.getByLabel('Why are you restoring it?').fill('It was not a duplicate');
  await go(page, () => page.getByRole('button', { name: 'Restore the record' }).click());
  await expect(banner(page)).toContainText('Session restored');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Session BROWSER-S-2');
  await expect(historyRow(page, 'It was not a duplicate')).toContainText('Restored');
});
