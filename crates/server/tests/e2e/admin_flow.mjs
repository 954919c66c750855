// A moderator handles a report in a real browser (Debian's Chromium driven by playwright-core):
// one user posts, another reports the post through the client API (as an app would), and the
// moderator signs in, opens the report from the queue, suspends the account with a reason,
// and finds the action in the audit log. The suspension is then checked through the API.
// Usage: node admin_flow.mjs BASE NODE_MODULES SCREENSHOT_DIR
import { createRequire } from 'node:module';
import path from 'node:path';

const [base, modules, shots] = process.argv.slice(2);
const require = createRequire(path.join(modules, 'noop.js'));
const { chromium } = require('playwright-core');

function fail(message) {
  throw new Error(message);
}

async function api(method, route, token, body) {
  const r = await fetch(`${base}${route}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text };
}

// An app and a token for each user, by password grant.
const app = (await api('POST', '/api/v1/apps', null, {
  client_name: 'Admin flow', redirect_uris: 'urn:ietf:wg:oauth:2.0:oob', scopes: 'read write',
})).json;
async function token(username) {
  const r = await api('POST', '/oauth/token', null, {
    grant_type: 'password', client_id: app.client_id, client_secret: app.client_secret,
    username: `${username}@example.com`, password: 'a good password', scope: 'read write',
  });
  if (r.status !== 200) fail(`token for ${username}: ${r.status} ${r.text}`);
  return r.json.access_token;
}
const troll = await token('troll');
const victim = await token('victim');
const post = await api('POST', '/api/v1/statuses', troll, { status: 'a post that breaks the rules' });
if (post.status !== 200) fail(`post: ${post.status} ${post.text}`);
const trollId = post.json.account.id;
const report = await api('POST', '/api/v1/reports', victim, {
  account_id: trollId, status_ids: [post.json.id], comment: 'this is harassment', category: 'other',
});
if (report.status !== 200) fail(`report: ${report.status} ${report.text}`);

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

  // The moderator signs in and opens the queue.
  await page.goto(`${base}/auth/sign_in`);
  await page.fill('#login', 'mod');
  await page.fill('#password', 'a good password');
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
  await page.goto(`${base}/admin/reports`);
  await expectText('@troll');
  await expectText('this is harassment');
  await snap('reports');

  // The report: the comment, the reported post; suspend with a reason.
  await Promise.all([page.waitForLoadState('load'), page.click(`a[href="/admin/reports/${report.json.id}"]`)]);
  await expectText('a post that breaks the rules');
  await expectText('Reported by@victim');
  await snap('report');
  await page.check('input[name=kind][value=suspend]');
  await page.fill('form[action$="/action"] textarea[name=text]', 'harassment, see the report');
  await Promise.all([page.waitForLoadState('load'), page.click('button:has-text("Take action and resolve")')]);
  await expectText('Done (suspend); the report is resolved.');
  await expectText('Resolved by @mod');
  await expectText('suspended');
  await snap('suspended');

  // The audit log names the moderator, the action and its reason.
  await Promise.all([page.waitForLoadState('load'), page.click('a[href="/admin/action_logs"]')]);
  const rows = await page.$$eval('tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent.trim())));
  const suspend = rows.find((r) => r[2] === 'suspend');
  if (!suspend) fail(`no suspend in the audit log: ${JSON.stringify(rows)}`);
  if (suspend[1] !== '@mod' || !suspend[3].includes('troll') || suspend[4] !== 'harassment, see the report') {
    fail(`audit log row: ${JSON.stringify(suspend)}`);
  }
  await snap('audit-log');
} finally {
  await browser.close();
}

// Through the API: the account is gone for others and its token no longer works.
const seen = await api('GET', `/api/v1/accounts/${trollId}`, victim);
if (seen.status !== 404) fail(`the suspended account answers ${seen.status}`);
const own = await api('GET', '/api/v1/accounts/verify_credentials', troll);
if (own.status !== 401 && own.status !== 403) fail(`the suspended account's token answers ${own.status}`);
console.log('admin flow passed');
