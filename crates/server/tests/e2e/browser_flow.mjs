// A person's way through the web pages in a real browser (Debian's Chromium driven by
// playwright-core): the home page, signing up, the confirmation mail, signing in, turning on
// two-factor authentication, an app signing in through the OAuth pages with a code, changing
// the password, and resetting it through the mailed link. Mail is read from the directory of
// the test's SMTP server; TOTP codes are computed here (node:crypto), independently of the
// server. A screenshot of every page is written to the artefacts directory.
// Usage: node browser_flow.mjs BASE NODE_MODULES MAIL_DIR SCREENSHOT_DIR
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [base, modules, mailDir, shots] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');

function fail(message) {
  throw new Error(message);
}

function totp(secret, unix) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '')) {
    const v = alphabet.indexOf(c);
    if (v < 0) fail(`not base32: ${secret}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.alloc(Math.floor(bits.length / 8));
  for (let i = 0; i < key.length; i++) key[i] = parseInt(bits.slice(i * 8, i * 8 + 8), 2);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unix / 30)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const now = () => Math.floor(Date.now() / 1000);

async function mails(n) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const names = fs.readdirSync(mailDir).filter((f) => f.endsWith('.json') && !f.startsWith('.')).sort();
    if (names.length >= n) return names.map((f) => JSON.parse(fs.readFileSync(path.join(mailDir, f), 'utf8')));
    if (Date.now() > deadline) fail(`${names.length} mail(s) arrived, ${n} expected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function mailWith(subjectEnd, n) {
  const all = await mails(n);
  const found = all.find((m) => m.subject.endsWith(subjectEnd));
  return found ?? fail(`no mail "${subjectEnd}" among ${all.map((m) => m.subject)}`);
}

function linkIn(mail, prefix) {
  const at = mail.text.indexOf(prefix);
  if (at < 0) fail(`no ${prefix} in ${mail.text}`);
  return mail.text.slice(at).split(/\s/)[0];
}

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});
try {
  const page = await browser.newPage();
  let shot = 0;
  const snap = async (name) => {
    shot += 1;
    await page.screenshot({ path: path.join(shots, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const expectText = async (text) => {
    const body = await page.textContent('body');
    if (!body.includes(text)) fail(`"${text}" not on ${page.url()}: ${body}`);
  };
  const submit = async () => {
    await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
  };

  // The home page leads to the sign-up form.
  await page.goto(`${base}/`);
  await expectText('Join');
  await snap('home');
  await Promise.all([page.waitForURL(`${base}/auth/sign_up`), page.click('a[href="/auth/sign_up"]')]);
  await snap('sign-up');
  await page.fill('#username', 'iris');
  await page.fill('#email', 'iris@example.com');
  await page.fill('#password', 'iris first password');
  await page.fill('#password_confirmation', 'iris first password');
  await page.check('input[name=agreement]');
  // People take a moment; the form refuses anything faster than three seconds.
  await page.waitForTimeout(3200);
  await submit();
  await expectText('Check your inbox');
  await snap('signed-up');

  // The confirmation mail.
  const confirmation = await mailWith('Confirm your e-mail address', 1);
  await page.goto(linkIn(confirmation, `${base}/auth/confirmation?confirmation_token=`));
  await expectText('Your address is confirmed');
  await snap('confirmed');

  // Signing in to the settings.
  await page.goto(`${base}/auth/sign_in`);
  await snap('sign-in');
  await page.fill('#login', 'iris@example.com');
  await page.fill('#password', 'iris first password');
  await submit();
  if (!page.url().endsWith('/settings')) fail(`signed in to ${page.url()}`);
  await expectText('@iris');
  await snap('settings');

  // Two-factor authentication.
  await page.goto(`${base}/settings/two_factor`);
  await submit();
  const key = (await page.textContent('p:has-text("Key:") code')).trim();
  if (!(await page.$('.qr svg'))) fail('no QR code');
  await snap('two-factor-setup');
  await page.fill('#code', totp(key, now()));
  await submit();
  const codes = (await page.$$eval('ul.codes code', (els) => els.map((e) => e.textContent.trim())));
  if (codes.length !== 10) fail(`${codes.length} recovery codes`);
  await snap('two-factor-on');

  // An app signs in through the OAuth pages: password, then a code, then consent.
  const oob = 'urn:ietf:wg:oauth:2.0:oob';
  const app = await (await fetch(`${base}/api/v1/apps`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ client_name: 'Browser test', redirect_uris: oob, scopes: 'read' }),
  })).json();
  const appPage = await browser.newPage();
  const query = new URLSearchParams({ response_type: 'code', client_id: app.client_id, redirect_uri: oob, scope: 'read' });
  await appPage.goto(`${base}/oauth/authorize?${query}`);
  await appPage.fill('#login', 'iris');
  await appPage.fill('#password', 'iris first password');
  await Promise.all([appPage.waitForLoadState('load'), appPage.click('button[type=submit]')]);
  if (!(await appPage.textContent('body')).includes('Two-factor authentication')) fail('no second step');
  await appPage.screenshot({ path: path.join(shots, 'oauth-two-factor.png'), fullPage: true });
  await appPage.fill('#code', totp(key, now() + 30));
  await Promise.all([appPage.waitForLoadState('load'), appPage.click('button[type=submit]')]);
  await appPage.screenshot({ path: path.join(shots, 'oauth-consent.png'), fullPage: true });
  await Promise.all([appPage.waitForLoadState('load'), appPage.click('button[value=approve]')]);
  const code = await appPage.inputValue('#code');
  const token = await (await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code', client_id: app.client_id, client_secret: app.client_secret,
      redirect_uri: oob, code,
    }),
  })).json();
  const me = await (await fetch(`${base}/api/v1/accounts/verify_credentials`, {
    headers: { Authorization: `Bearer ${token.access_token}` },
  })).json();
  if (me.username !== 'iris') fail(`the app signed in as ${JSON.stringify(me)}`);
  await appPage.close();

  // Changing the password.
  await page.goto(`${base}/settings/password`);
  await page.fill('#current_password', 'iris first password');
  await page.fill('#password', 'iris second password');
  await page.fill('#password_confirmation', 'iris second password');
  await submit();
  await expectText('Your password is changed');
  await snap('password-changed');
  await Promise.all([page.waitForURL(`${base}/`), page.click('button:has-text("Sign out")')]);

  // Forgotten: reset through the mailed link.
  await page.goto(`${base}/auth/sign_in`);
  await Promise.all([page.waitForURL(`${base}/auth/password/new`), page.click('a[href="/auth/password/new"]')]);
  await page.fill('#email', 'iris@example.com');
  await submit();
  await expectText('Check your inbox');
  await snap('reset-asked');
  const reset = await mailWith('Reset your password', 4);
  await page.goto(linkIn(reset, `${base}/auth/password/edit?reset_password_token=`));
  await snap('reset-form');
  await page.fill('#password', 'iris third password');
  await page.fill('#password_confirmation', 'iris third password');
  await submit();
  await expectText('Your password is changed');
  await snap('reset-done');

  // Signing in with the new password and a recovery code.
  await page.goto(`${base}/auth/sign_in`);
  await page.fill('#login', 'iris');
  await page.fill('#password', 'iris third password');
  await submit();
  await expectText('Two-factor authentication');
  await snap('sign-in-code');
  await page.fill('#code', codes[0]);
  await submit();
  if (!page.url().endsWith('/settings')) fail(`signed in to ${page.url()}`);
  await page.goto(`${base}/settings/sessions`);
  await snap('sessions');

  // Taking the data along: the archive is asked for, built by a job, and downloaded.
  await page.goto(`${base}/settings/export`);
  await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Request your archive")')]);
  await expectText('Your archive is being prepared');
  let archiveLink = null;
  for (let i = 0; i < 100 && !archiveLink; i++) {
    await page.goto(`${base}/settings/export`);
    archiveLink = await page.$('a[href^="/settings/export/archives/"]');
    if (!archiveLink) await new Promise((r) => setTimeout(r, 100));
  }
  if (!archiveLink) fail('the archive was never ready');
  await snap('export');
  const [download] = await Promise.all([page.waitForEvent('download'), archiveLink.click()]);
  const zipPath = await download.path();
  const zip = (await import('node:fs')).readFileSync(zipPath);
  if (zip.length < 100 || zip.toString('latin1', 0, 2) !== 'PK') fail(`the archive is not a zip (${zip.length} bytes)`);
  if (!zip.includes(Buffer.from('outbox.json'))) fail('the archive has no outbox.json');

  // Leaving: the account is deleted with the password, and signing in no longer works.
  await Promise.all([page.waitForURL(`${base}/settings/delete`), page.click('a[href="/settings/delete"]')]);
  await snap('delete-account');
  await page.fill('#password', 'iris third password');
  await submit();
  await expectText('Your account is being deleted');
  await snap('account-deleted');
  await page.goto(`${base}/settings`);
  if (!page.url().includes('/auth/sign_in')) fail(`still signed in after deleting: ${page.url()}`);
  await page.fill('#login', 'iris');
  await page.fill('#password', 'iris third password');
  await submit();
  if (page.url().endsWith('/settings')) fail('a deleted account signed in');
  await snap('deleted-sign-in-refused');
  console.log('browser flow passed');
} finally {
  await browser.close();
}
