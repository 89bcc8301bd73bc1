// Issue 15's forms, as a Remedi caseworker uses them: a date of birth typed as day, month
// and year (a month's name; a missing month refused in the GOV.UK words, with the police
// identifier asked for again), five baseline measures of Serious Violence Mentoring's
// outcome framework in one submit, and a group survey on the 7-35 wellbeing scale with a
// box for each of its 29 values. Every reference here is made up for the test.
import { test, expect, go, signIn, banner, today, shown, fillDate, LOGINS } from '../lib/support.js';

const PROGRAMME = 'Serious Violence Mentoring';
const PARTICIPANT = 'BROWSER-FORMS-P1';
const REFERRAL = 'BROWSER-FORMS-R1';

test.describe.configure({ mode: 'serial' });

test('a caseworker types a date of birth as day, month and year', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('button', { name: 'Register a participant' }).click());
  const dob = page.getByRole('group', { name: 'Date of birth (optional)' });
  // The hint's example is 14 years before today, a plausible participant.
  const year = new Date().getUTCFullYear() - 14;
  await expect(page.locator('#date_of_birth-hint')).toContainText(new RegExp(`For example, \\d+ \\d+ ${year}`));

  // The month left out: the GOV.UK message, only the month highlighted, and the police
  // identifier (never shown again) asked for again.
  await page.getByLabel('Case reference').fill(PARTICIPANT);
  await page.getByLabel('Police identifier (optional)').fill('99/123456Z');
  await dob.getByLabel('Day').fill('14');
  await dob.getByLabel('Year').fill('2008');
  await go(page, () => page.getByRole('button', { name: 'Register participant' }).click());
  const summary = page.locator('.govuk-error-summary');
  await expect(summary).toContainText('Date of birth must include a month');
  await expect(summary.getByRole('link', { name: 'Date of birth must include a month' })).toHaveAttribute('href', '#date_of_birth-month');
  await expect(summary).toContainText('For privacy we did not keep the police identifier you entered. Enter it again.');
  await expect(dob.getByLabel('Month')).toHaveClass(/govuk-input--error/);
  await expect(dob.getByLabel('Day')).not.toHaveClass(/govuk-input--error/);
  await expect(dob.getByLabel('Day')).toHaveValue('14');
  await expect(page.getByLabel('Police identifier (optional)')).toHaveValue('');

  // A month's name, as people type it.
  await dob.getByLabel('Month').fill('may');
  await page.getByRole('radio', { name: 'Male', exact: true }).check();
  await go(page, () => page.getByRole('button', { name: 'Register participant' }).click());
  await expect(banner(page)).toContainText('Participant registered');
  await expect(page.locator('.govuk-summary-list')).toContainText('14 May 2008');
});

test('a caseworker records five baseline measures in one submit', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Find a participant' }).click());
  await go(page, () => page.getByRole('link', { name: PARTICIPANT, exact: true }).click());
  await go(page, () => page.getByRole('link', { name: `Record a referral for ${PARTICIPANT}` }).click());
  await page.getByLabel('Programme').selectOption({ label: PROGRAMME });
  await page.getByLabel('Referral reference (optional)').fill(REFERRAL);
  await fillDate(page, 'Date of the referral', today());
  await page.getByLabel('Referred by').selectOption({ label: 'Police' });
  await go(page, () => page.getByRole('button', { name: 'Record referral' }).click());
  await go(page, () => page.getByRole('button', { name: 'Record the decision' }).click());
  await page.getByRole('radio', { name: 'Accepted' }).check();
  await fillDate(page, 'Date of the decision', today());
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());

  await go(page, () => page.getByRole('button', { name: 'Record outcome measures' }).click());
  // One box per measure of the framework, each with its range and better direction;
  // the names do not repeat their range.
  const values = [
    ['Feels safe in the community', '1 to 5, higher is better', '2'],
    ['Feels safe at home', '1 to 5, higher is better', '3'],
    ['Difficulty managing anger', '1 to 5, lower is better', '4'],
    ['In education, training or employment (0 = no, 1 = yes)', '0 to 1, higher is better', '0'],
    ['Short Warwick-Edinburgh Mental Wellbeing Scale', '7 to 35, higher is better', '19'],
  ];
  for (const [label, hint] of values) {
    const box = page.getByLabel(label, { exact: true });
    await expect(page.locator(`#${await box.getAttribute('id')}-hint`)).toHaveText(hint);
  }
  await expect(page.getByText('(1-5)')).toHaveCount(0);
  await page.getByRole('radio', { name: 'Baseline' }).check();
  await fillDate(page, 'Date', today());
  for (const [label, , value] of values) await page.getByLabel(label, { exact: true }).fill(value);
  await go(page, () => page.getByRole('button', { name: 'Save' }).click());

  await expect(banner(page)).toContainText('Outcomes recorded: 5 measures');
  for (const [label, , value] of values) {
    const row = page.locator('table tbody tr', { hasText: label });
    await expect(row).toContainText('Baseline', { ignoreCase: true });
    await expect(row).toContainText(shown(today()));
    await expect(row.locator('td').nth(3)).toHaveText(new RegExp(`^${value}(\\.0+)?$`));
  }
});

test('a caseworker records a group survey on a 7-35 scale', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: `record a session of ${PROGRAMME}` }).click());
  await fillDate(page, 'Date of the session', today());
  await page.getByRole('radio', { name: 'Group' }).check();
  await page.getByLabel('Session reference (optional)').fill('BROWSER-FORMS-S1');
  await page.getByLabel('Unnamed attendees (optional)').fill('10');
  await go(page, () => page.getByRole('button', { name: 'Record session' }).click());
  const session = new URL(page.url()).pathname;

  // The measure first (its page reloads as the counts, without JavaScript), then a box
  // for each of its 29 values.
  await go(page, () => page.getByRole('link', { name: 'Record a group survey' }).click());
  await page.getByLabel('Which measure did the survey ask?').selectOption({
    label: 'Short Warwick-Edinburgh Mental Wellbeing Scale (7 to 35, higher is better)',
  });
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page.locator('input[name^="count_"]')).toHaveCount(29);
  await expect(page.getByLabel('Respondents who answered 7', { exact: true })).toBeVisible();
  await expect(page.getByLabel('Respondents who answered 35', { exact: true })).toBeVisible();
  await expect(page.locator('input[name="count_6"], input[name="count_36"]')).toHaveCount(0);
  await page.getByRole('radio', { name: 'Baseline' }).check();
  await page.getByLabel('Respondents who answered 20', { exact: true }).fill('4');
  await page.getByLabel('Respondents who answered 35', { exact: true }).fill('8');
  await go(page, () => page.getByRole('button', { name: 'Save survey' }).click());

  // Listed on the session page: 12 respondents, mean (20×4 + 35×8) / 12 = 30.0, and a
  // warning: 12 is more than the 10 people at the session.
  await expect(page).toHaveURL(new RegExp(`${session}$`));
  await expect(banner(page)).toContainText('Survey recorded');
  const row = page.locator('#surveys tbody tr', { hasText: 'Short Warwick-Edinburgh' });
  await expect(row.locator('td').nth(3)).toHaveText('12');
  await expect(row.locator('td').nth(4)).toHaveText('30.0');
  await expect(row.locator('td').nth(5)).toHaveText('20: 4, 35: 8');
  await expect(row.getByRole('link', { name: /Change counts/ })).toBeVisible();
  await expect(page.locator('.govuk-warning-text')).toContainText('12 respondents is more than the 10 people at the session');
});
