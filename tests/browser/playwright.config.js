// Playwright configuration for the browser journeys. scripts/browser-tests starts the
// service and sets OUTCOMES_URL; the browser is Debian's chromium (no browser download:
// Playwright's own builds cannot be fetched here), so `channel` is unset and
// `launchOptions.executablePath` names the binary.
import { defineConfig } from '@playwright/test';

const artifacts = process.env.OUTCOMES_BROWSER_ARTIFACTS || 'test-results';

export default defineConfig({
  testDir: './journeys',
  // One demo database for all. The admin's audit-trail journey looks for what the other
  // journeys did, so it is a project that depends on theirs; the tour of every page reads
  // only, so it runs beside them. Within a file, tests run in order (serial where later
  // ones build on earlier ones). Two workers: the machine has two cores.
  fullyParallel: false,
  workers: 2,
  projects: [
    { name: 'journeys', testMatch: /(0[1239]-.*|10-find)\.spec\.js/ },
    { name: 'audit', testMatch: /04-.*\.spec\.js/, dependencies: ['journeys'] },
    { name: 'pages', testMatch: /0[0567]-.*\.spec\.js/ },
    { name: 'accounts', testMatch: /08-.*\.spec\.js/ },
    // Moves the service's clock (OUTCOMES_CLOCK_FILE): after everything else.
    { name: 'clock', testMatch: /11-.*\.spec\.js/, dependencies: ['journeys', 'audit', 'pages', 'accounts', 'forms'] },
    // Issue 15's forms (dates, outcome frameworks, surveys): their own records.
    { name: 'forms', testMatch: /10-forms\.spec\.js/ },
  ],
  retries: 0,
  forbidOnly: true,
  // The service is a debug build computing reports from ~1,600 referrals: be generous.
  timeout: 120_000,
  expect: { timeout: 10_000 },
  outputDir: artifacts,
  reporter: [['list']],
  use: {
    baseURL: process.env.OUTCOMES_URL || 'http://127.0.0.1:8080',
    browserName: 'chromium',
    headless: true,
    acceptDownloads: true,
    locale: 'en-GB',
    timezoneId: 'Europe/London',
    viewport: { width: 1280, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
    navigationTimeout: 60_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
