// An admin adds a colleague admin, who chooses their own password at first sign-in, turns
// on two-factor sign-in (the code computed here from the key on the page, with an
// independent RFC 6238 implementation), signs out, signs in with a code, then with a
// recovery code, which does not work a second time. axe passes on every page on the way.
import { test, expect, visit, go, signIn, LOGINS } from '../lib/support.js';
import { base32Decode, hotp, currentStep } from '../lib/totp.js';

test.describe.configure({ mode: 'serial' });

async function signOut(page) {
  await go(page, () => page.getByRole('button', { name: 'Sign out', exact: true }).click());
}

async function password(page, email, secret) {
  await visit(page, '/login');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(secret);
  await go(page, () => page.getByRole('button', { name: 'Sign in' }).click());
}

test('an admin enrols two-factor sign-in and signs in with a code and a recovery code', async ({ page }) => {
  // RFC 6238 appendix B (SHA-1): the implementation here agrees with the standard.
  expect(hotp(Buffer.from('12345678901234567890'), Math.floor(59 / 30))).toBe('287082');

  const email = `two-factor-${Date.now()}@office-of-the-police-and-crime-commissioner.demo.invalid`;
  await signIn(page, LOGINS.admin);
  await visit(page, '/admin/users');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Role').selectOption('admin');
  await page.getByLabel('Organisation').selectOption({ label: 'Office of the Police and Crime Commissioner' });
  await go(page, () => page.getByRole('button', { name: 'Add user' }).click());
  const given = (await page.locator('code.app-secret').textContent()).trim();
  await signOut(page);

  // First sign-in: the password an admin saw must be changed.
  await password(page, email, given);
  await expect(page).toHaveURL(/\/account\/password$/);
  const own = 'lantern orchard pebble';
  await page.getByLabel('Current password').fill(given);
  await page.getByLabel('New password', { exact: true }).fill(own);
  await page.getByLabel('New password again').fill(own);
  await go(page, () => page.getByRole('button', { name: 'Change password' }).click());
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your account');

  // Enrol: the QR code is an inline image; the key is beside it.
  await go(page, () => page.getByRole('link', { name: /Set up/ }).click());
  await expect(page.locator('img[src^="data:image/png;base64,"]')).toBeVisible();
  const secret = base32Decode((await page.locator('#totp-secret').textContent()).trim());
  // A wrong code first: the error summary passes axe too.
  await page.getByLabel('Code from the app').fill('12345');
  await go(page, () => page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click());
  await expect(page.locator('.govuk-error-summary')).toBeVisible();
  let step = currentStep();
  await page.getByLabel('Code from the app').fill(hotp(secret, step));
  await go(page, () => page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click());
  const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  await go(page, () => page.getByRole('link', { name: 'Continue' }).click());
  await signOut(page);

  // Sign in with a code from the app: a step after the one used to enrol (a code works once).
  await password(page, email, own);
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  step = Math.max(currentStep(), step + 1);
  await page.getByLabel('Enter your security code').fill(hotp(secret, step));
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page).not.toHaveURL(/\/login/);
  await visit(page, '/account');
  await expect(page.locator('body')).toContainText('On (10 recovery codes left)');
  await signOut(page);

  // A recovery code works once…
  await password(page, email, own);
  await page.getByLabel('Enter your security code').fill(codes[0]);
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page).not.toHaveURL(/\/login/);
  await signOut(page);

  // …and not twice.
  await password(page, email, own);
  await page.getByLabel('Enter your security code').fill(codes[0]);
  await go(page, () => page.getByRole('button', { name: 'Continue' }).click());
  await expect(page).toHaveURL(/\/login\/two-factor$/);
  await expect(page.locator('.govuk-error-summary')).toContainText('The code is not right');
});
