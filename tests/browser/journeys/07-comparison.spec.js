// Issue 19: a commissioner compares the demo's Immediate Justice (2024-25) with the
// tailored-workshop-only model from the report page's "Compare with" choice, and sees both
// rates, the difference with its interval and the Justice Data Lab statement; then with a
// matched comparison from the police extract, and sees the balance table. axe runs on
// every page loaded.
import { test, expect, visit, go, signIn, demoPeriod, LOGINS } from '../lib/support.js';

test('a report compared with another programme and with a matched comparison', async ({ page }) => {
  await signIn(page, LOGINS.commissioner);
  await visit(page, '/programmes');
  await go(page, () => page.getByRole('link', { name: 'Immediate Justice', exact: true }).click());
  await go(page, () => page.getByRole('link', { name: 'View the report' }).click());
  await page.getByLabel('Period', { exact: true }).fill(demoPeriod());
  await page.getByLabel('Compare with').selectOption({ label: 'Immediate Justice (tailored workshop only)' });
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page).toHaveURL(/compare=programme%3A\d+/);

  const other = 'Immediate Justice (tailored workshop only)';
  await expect(page.getByRole('heading', { name: `Compared with ${other}` })).toBeVisible();
  const rates = page.locator('#table-comparison_rates');
  await expect(rates.getByRole('rowheader', { name: other, exact: true })).toBeVisible();
  // Both rates, each with its interval, as percentages.
  for (const side of ['treatment', 'comparison']) {
    for (const m of ['rate', 'rate_ci/0', 'rate_ci/1']) {
      await expect(rates.locator(`td[data-pointer="/reoffending/comparison/${side}_${m}"]`)).toHaveText(/^\d+\.\d%$/);
    }
  }
  const difference = page.locator('#table-comparison_difference');
  for (const m of ['difference', 'difference_ci/0', 'difference_ci/1']) {
    await expect(difference.locator(`td[data-pointer="/reoffending/comparison/${m}"]`)).toHaveText(/^[+-]?\d+\.\d pp$/);
  }
  await expect(difference.locator('td[data-pointer="/reoffending/comparison/p_value"]')).toHaveText(/^(<0\.001|\d\.\d{3})$/);
  // The statement (Justice Data Lab wording) and the sentence for every 100 people.
  const section = page.locator('section', { has: page.getByRole('heading', { name: `Compared with ${other}` }) });
  await expect(
    section.getByText(/^(No comparison statement|More people would be needed|The reoffending rate is (lower|higher))/),
  ).toBeVisible();
  await expect(
    section.getByText(new RegExp(`^For every 100 people who took part, \\d+ reoffended within a year; for every 100 people in ${other.replace(/[()]/g, '\\$&')}, \\d+ did\\.$`)),
  ).toBeVisible();
  await expect(section.getByRole('img', { name: /^Reoffending rate with its 95% confidence interval/ })).toBeVisible();
  // The downloads keep the comparison.
  const pdf = page.getByRole('link', { name: /^PDF \(internal mode\)/ });
  await expect(pdf).toHaveAttribute('href', /compare=programme%3A\d+/);

  // Matched, from the police extract: the matching summary and the balance table.
  await page.getByLabel('Compare with').selectOption({ label: 'Similar people in the police data who were not referred (matched)' });
  await go(page, () => page.getByRole('button', { name: 'Show the report' }).click());
  await expect(page).toHaveURL(/compare=matched/);
  await expect(page.getByRole('heading', { name: 'Compared with similar people who did not take part' })).toBeVisible();
  await expect(page.locator('#table-comparison_matching')).toBeVisible();
  const balance = page.locator('#table-comparison_balance');
  await expect(balance.getByRole('columnheader', { name: 'Standardised difference after matching' })).toBeVisible();
  await expect(balance.getByRole('rowheader', { name: /^Age: / }).first()).toBeVisible();
  await expect(page.getByText(/^Only the variables above are balanced\./)).toBeVisible();
});
