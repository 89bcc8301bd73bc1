// Finding people (issue 15): a Remedi caseworker finds a participant by the start of their
// case reference typed in lower case and by date of birth, lists the withdrawn referrals
// of one programme on the Referrals page, and records a referral choosing the participant
// with the autocomplete, then again with JavaScript off (Find, then choose from the
// radios). Expected records are read from the API (the same scope, GET with the session's
// cookie), so the journey does not depend on the demo's random draws.
import { test, expect, visit, go, signIn, checkPage, banner, today, LOGINS, DEMO_PASSWORD } from '../lib/support.js';

const PROGRAMME = 'Serious Violence Mentoring';

test.describe.configure({ mode: 'serial' });

/** A JSON answer of the API, read with the page's session. */
async function api(page, path) {
  const res = await page.request.get(path);
  expect(res.status(), `GET ${path}`).toBe(200);
  return res.json();
}

/** Fills a date question, whether it is one YYYY-MM-DD box or a GOV.UK date input. */
async function fillDate(page, name, iso) {
  const [y, m, d] = iso.split('-');
  const group = page.getByRole('group', { name });
  if ((await group.count()) > 0 && (await group.getByLabel('Day').count()) > 0) {
    await group.getByLabel('Day').fill(String(Number(d)));
    await group.getByLabel('Month').fill(String(Number(m)));
    await group.getByLabel('Year').fill(y);
  } else {
    await page.getByLabel(name).fill(iso);
  }
}

/** The rest of the referral form, after the participant is chosen. */
async function recordReferral(page, reference) {
  // Reparation hours are revealed for an Immediate Justice programme only (assets/reveal.js).
  const hours = page.getByLabel('Reparation hours required (Immediate Justice only)');
  await page.getByLabel('Programme').selectOption({ label: 'Immediate Justice' });
  await expect(hours).toBeVisible();
  await page.getByLabel('Programme').selectOption({ label: PROGRAMME });
  await expect(hours).toBeHidden();
  await page.getByLabel('Referral reference (optional)').fill(reference);
  await fillDate(page, 'Date of the referral', today());
  await page.getByLabel('Referred by').selectOption({ label: 'Police' });
  await go(page, () => page.getByRole('button', { name: 'Record referral' }).click());
  await expect(banner(page)).toContainText('Referral recorded');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(reference);
}

test('a caseworker finds a participant by a partial lower-case reference and by date of birth', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  // A participant with a date of birth, and the start of their reference in lower case.
  const all = await api(page, '/api/v1/participants?limit=50');
  const someone = all.items.find((p) => p.date_of_birth);
  expect(someone, 'a demo participant with a date of birth').toBeTruthy();
  const typed = someone.reference.slice(0, someone.reference.length - 2).toLowerCase();
  const expected = await api(page, `/api/v1/participants?q=${encodeURIComponent(typed)}&limit=50`);
  expect(expected.count, 'the API finds them by the same text').toBeGreaterThan(0);

  await go(page, () => page.getByRole('link', { name: 'Participants', exact: true }).click());
  await page.getByLabel('Case reference').fill(typed);
  await go(page, () => page.getByRole('button', { name: 'Apply filters' }).click());
  const table = page.locator('table.govuk-table');
  await expect(table.locator('caption')).toHaveText(`${expected.count.toLocaleString('en-GB')} ${expected.count === 1 ? 'participant' : 'participants'}`);
  await expect(table.getByRole('link', { name: someone.reference, exact: true })).toBeVisible();
  for (const ref of await table.locator('tbody tr td:first-child').allInnerTexts()) {
    expect(ref.toLowerCase().startsWith(typed), `${ref} starts with ${typed}`).toBe(true);
  }

  // Nothing matches: said so.
  await page.getByLabel('Case reference').fill('no-such-reference-zz');
  await go(page, () => page.getByRole('button', { name: 'Apply filters' }).click());
  await expect(page.getByRole('heading', { name: 'No participants match your search' })).toBeVisible();

  // By date of birth alone, the month typed as a word.
  const [y, m, d] = someone.date_of_birth.split('-');
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const born = await api(page, `/api/v1/participants?date_of_birth=${someone.date_of_birth}&limit=50`);
  await go(page, () => page.getByRole('link', { name: 'Clear filters' }).click());
  const dob = page.getByRole('group', { name: 'Date of birth' });
  await dob.getByLabel('Day').fill(String(Number(d)));
  await dob.getByLabel('Month').fill(months[Number(m) - 1]);
  await dob.getByLabel('Year').fill(y);
  await go(page, () => page.getByRole('button', { name: 'Apply filters' }).click());
  await expect(table.locator('caption')).toHaveText(`${born.count} ${born.count === 1 ? 'participant' : 'participants'}`);
  await expect(table.getByRole('link', { name: someone.reference, exact: true })).toBeVisible();

  // An impossible date: the GOV.UK error, linked from the summary.
  await dob.getByLabel('Day').fill('31');
  await dob.getByLabel('Month').fill('2');
  await go(page, () => page.getByRole('button', { name: 'Apply filters' }).click());
  await expect(page).toHaveTitle(/^Error: /);
  await expect(page.locator('.govuk-error-summary')).toContainText('Date of birth must be a real date');
});

test('the Referrals page lists the withdrawn referrals of one programme', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  await go(page, () => page.getByRole('link', { name: 'Referrals', exact: true }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Referrals');
  const programme = await page.getByLabel('Programme').locator('option', { hasText: PROGRAMME }).getAttribute('value');
  const expected = await api(page, `/api/v1/referrals?status=withdrawn&programme=${programme}&limit=50`);
  expect(expected.count, 'the demo has withdrawn referrals').toBeGreaterThan(0);

  await page.getByLabel('Programme').selectOption({ label: PROGRAMME });
  await page.getByLabel('Status').selectOption({ label: 'Withdrawn' });
  await go(page, () => page.getByRole('button', { name: 'Apply filters' }).click());
  const table = page.locator('table.govuk-table');
  await expect(table.locator('caption')).toHaveText(`${expected.count} ${expected.count === 1 ? 'referral' : 'referrals'}`);
  const rows = table.locator('tbody tr');
  await expect(rows).toHaveCount(Math.min(expected.count, 50));
  for (const row of await rows.all()) {
    await expect(row.locator('td').nth(2)).toHaveText(PROGRAMME);
    await expect(row.locator('td').nth(3)).toHaveText('Withdrawn');
    await expect(row.locator('td').nth(1)).not.toBeEmpty(); // the participant's reference
  }
  // The first row is the API's newest, with its participant.
  const first = expected.items[0];
  const person = await api(page, `/api/v1/participants/${first.participant_id}`);
  await expect(rows.first().locator('td').nth(0)).toHaveText(first.reference);
  await expect(rows.first().locator('td').nth(1)).toHaveText(person.reference);

  // The home page's open referrals lead to the same page, filtered to open.
  await visit(page, '/');
  await go(page, () => page.getByRole('link', { name: /^View all \d+ open referrals$/ }).click());
  await expect(page).toHaveURL(/\/referrals\?status=open$/);
  await expect(page.getByLabel('Status')).toHaveValue('open');
});

test('a caseworker records a referral choosing the participant with the autocomplete', async ({ page }) => {
  await signIn(page, LOGINS.caseworker);
  const all = await api(page, '/api/v1/participants?limit=20&offset=20');
  const someone = all.items[0];
  const typed = someone.reference.toLowerCase();

  await go(page, () => page.getByRole('button', { name: 'Record a referral' }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Who is the referral for?');
  const box = page.getByRole('combobox', { name: 'Who is the referral for?' });
  await box.pressSequentially(typed, { delay: 20 });
  const option = page.getByRole('option', { name: new RegExp(`^${someone.reference}\\b`) });
  await expect(option).toBeVisible();
  await expect(box).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByRole('status')).toContainText(/1 participant matches/);
  await checkPage(page); // the open listbox too
  await box.press('ArrowDown');
  await expect(option).toHaveAttribute('aria-selected', 'true');
  await go(page, () => box.press('Enter'));

  await expect(page.locator('.govuk-caption-l')).toHaveText(`Participant ${someone.reference}`);
  await recordReferral(page, 'BROWSER-FIND-R-1');
  await expect(page.getByRole('link', { name: someone.reference })).toBeVisible();
});

test('a caseworker records a referral with JavaScript off: find, then choose', async ({ page, browser }) => {
  // axe needs script in the page, so each page the script-less browser reaches is opened
  // again in the journey's own page (script on) and checked there.
  await signIn(page, LOGINS.caseworker);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const nojs = await context.newPage();
  const step = async (action) => {
    const loaded = nojs.waitForEvent('load');
    await action();
    await loaded;
    await visit(page, new URL(nojs.url()).pathname + new URL(nojs.url()).search);
  };
  try {
    await nojs.goto('/login');
    await nojs.getByLabel('Email address').fill(LOGINS.caseworker);
    await nojs.getByLabel('Password').fill(DEMO_PASSWORD);
    await step(() => nojs.getByRole('button', { name: 'Sign in' }).click());
    const all = await api(nojs, '/api/v1/participants?limit=20&offset=40');
    const someone = all.items[0];
    const typed = someone.reference.slice(0, someone.reference.length - 1).toLowerCase();

    await step(() => nojs.getByRole('button', { name: 'Record a referral' }).click());
    await expect(nojs.getByRole('combobox')).toHaveCount(0); // no script: a plain box
    // Find with nothing typed: the error.
    await step(() => nojs.getByRole('button', { name: 'Find' }).click());
    await expect(nojs.locator('.govuk-error-summary')).toContainText("Enter the start of the participant's case reference");
    await nojs.getByLabel('Who is the referral for?').fill(typed);
    await step(() => nojs.getByRole('button', { name: 'Find' }).click());
    // Continue without choosing: the error; then choose.
    await step(() => nojs.getByRole('button', { name: 'Continue' }).click());
    await expect(nojs.locator('.govuk-error-summary')).toContainText('Select the participant the referral is for');
    await nojs.getByRole('radio', { name: someone.reference, exact: true }).check();
    await step(() => nojs.getByRole('button', { name: 'Continue' }).click());

    await expect(nojs.locator('.govuk-caption-l')).toHaveText(`Participant ${someone.reference}`);
    await nojs.getByLabel('Programme').selectOption({ label: PROGRAMME });
    // Without JavaScript the reparation hours are asked, their label saying when.
    await expect(nojs.getByLabel('Reparation hours required (Immediate Justice only)')).toBeVisible();
    await nojs.getByLabel('Referral reference (optional)').fill('BROWSER-FIND-R-2');
    await fillDate(nojs, 'Date of the referral', today());
    await nojs.getByLabel('Referred by').selectOption({ label: 'Police' });
    await step(() => nojs.getByRole('button', { name: 'Record referral' }).click());
    await expect(nojs.getByRole('heading', { level: 1 })).toContainText('BROWSER-FIND-R-2');
    await expect(nojs.getByRole('link', { name: someone.reference })).toBeVisible();
  } finally {
    await context.close();
  }
});
