// Quarterly returns that cannot lock today's work (issue 15): a provider manager is told
// the current quarter can be submitted only after it ends; once the service's clock is past
// its end (the test hook OUTCOMES_CLOCK_FILE, written by scripts/browser-tests' service),
// the manager checks the quarter's figures, writes a narrative, ticks the declaration and
// submits; the commissioner's home page then lists the return awaiting a decision. Runs
// after the other journeys (its own project), since it moves the service's today; the
// clock is put back at the end.
import { writeFileSync, rmSync } from 'node:fs';
import { test, expect, visit, go, signIn, banner, LOGINS } from '../lib/support.js';

const PROGRAMME = 'Immediate Justice';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The quarter holding `d` (a Date, UTC): its code, its name, and the day after it ends. */
function quarterOf(d) {
  const m = d.getUTCMonth(); // 0 = January
  const y = d.getUTCFullYear();
  const q = m >= 3 ? Math.floor((m - 3) / 3) + 1 : 4;
  const fy = m >= 3 ? y : y - 1;
  const code = `${fy}-${String((fy + 1) % 100).padStart(2, '0')}-Q${q}`;
  const firstMonth = [3, 6, 9, 0][q - 1];
  const name = `${MONTHS[firstMonth]} to ${MONTHS[firstMonth + 2]} ${q === 4 ? fy + 1 : fy} (Q${q} ${code.slice(0, 7)})`;
  const next = new Date(Date.UTC(q === 4 ? fy + 1 : fy, firstMonth + 3, 1));
  return { code, name, next };
}

function setClock(iso) {
  const file = process.env.OUTCOMES_CLOCK_FILE;
  expect(file, 'scripts/browser-tests sets OUTCOMES_CLOCK_FILE').toBeTruthy();
  writeFileSync(file, `${iso}\n`);
}

test.describe.configure({ mode: 'serial' });

test.afterAll(() => {
  if (process.env.OUTCOMES_CLOCK_FILE) rmSync(process.env.OUTCOMES_CLOCK_FILE, { force: true });
});

const current = quarterOf(new Date());
const opens = current.next;
const opensText = `${opens.getUTCDate()} ${MONTHS[opens.getUTCMonth()]} ${opens.getUTCFullYear()}`;

test('a manager cannot submit the quarter still running, and can once it has ended', async ({ page }) => {
  await signIn(page, LOGINS.providerManager);
  await visit(page, '/programmes');
  await go(page, () => page.getByRole('link', { name: PROGRAMME, exact: true }).click());
  const programmeUrl = new URL(page.url()).pathname;
  await go(page, () => page.getByRole('link', { name: 'Quarterly returns' }).click());
  // Quarters are named in words; the running one says when it can be submitted.
  const row = page.locator(`tr[data-quarter="${current.code}"]`);
  await expect(row.getByRole('rowheader')).toHaveText(current.name);
  await expect(row).toContainText(`Can be submitted from ${opensText}`);
  await expect(row.getByRole('link', { name: /Check and submit/ })).toHaveCount(0);
  // Asked for directly, the check page refuses it, naming the date.
  await visit(page, `${programmeUrl}/returns/new?quarter=${current.code}`);
  await expect(page.locator('#refused')).toContainText(`can be submitted from ${opensText}`);
  await expect(page.getByRole('button', { name: /submit/i })).toHaveCount(0);

  // The day the quarter has ended.
  setClock(opens.toISOString().slice(0, 10));
  await visit(page, `${programmeUrl}/returns`);
  await go(page, () => row.getByRole('link', { name: /Check and submit/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Check the return for ${current.name}`);
  await expect(page.locator('#figures')).toContainText('Referrals received');
  // Without the declaration: an error, nothing submitted.
  await page.getByLabel('Narrative (optional)').fill('Two schools joined in November; one mentor left.');
  await go(page, () => page.getByRole('button', { name: 'Accept and submit the return' }).click());
  await expect(page).toHaveTitle(/^Error: /);
  await expect(page.locator('.govuk-error-summary')).toContainText('Confirm that the figures');
  await expect(page.getByLabel('Narrative (optional)')).toHaveValue('Two schools joined in November; one mentor left.');
  await page.getByLabel(/I confirm that these figures/).check();
  await go(page, () => page.getByRole('button', { name: 'Accept and submit the return' }).click());
  await expect(banner(page)).toContainText(`Return for ${current.name} submitted`);
  await expect(row.locator('.govuk-tag')).toHaveText('Submitted');
});

test("the commissioner's home page lists the submitted return awaiting a decision", async ({ page }) => {
  await signIn(page, LOGINS.commissioner);
  await visit(page, '/');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Home');
  const awaiting = page.getByRole('region', { name: /^Returns awaiting a decision/ });
  const line = awaiting.locator('tr', { hasText: current.name }).filter({ hasText: PROGRAMME });
  await expect(line).toHaveCount(1);
  await go(page, () => line.getByRole('link', { name: /Approve or return/ }).click());
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Decide on the return for ${current.name}`);
  await expect(page.locator('#narrative-text')).toHaveText('Two schools joined in November; one mentor left.');
});
