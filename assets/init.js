// Starts GOV.UK Frontend's components. A static file, not an inline script,
// so the js-enabled one-liner in layouts/base.hbs is the only inline script
// and the only one that needs the CSP nonce.
import { initAll } from '/assets/govuk/govuk-frontend.min.js';
initAll();
