// End-to-end flow with masto (npm) against a running Rookery: polls, markers, conversations,
// followed tags, scheduled posts and preview cards.
// Usage: node masto_flow_more.mjs BASE_URL NODE_MODULES_DIR IMAGE
// Expects local accounts alice and bob (USER@example.com / "a good password"), who do not
// follow each other. IMAGE is a JPEG, served by this script as the image of a linked page; the
// instance must be allowed to fetch from loopback (`federation.allow_private_addresses`).
// Where time must pass, the script prints `rookery-e2e: end polls` or
// `rookery-e2e: publish scheduled statuses` and waits: the runner then moves those times to now
// in the database, and the server's jobs do the rest.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { createOAuthAPIClient, createRestAPIClient } = await import(
  pathToFileURL(join(process.argv[3], "masto", "dist", "index.js")).href
);

const base = process.argv[2];
const image = readFileSync(process.argv[4]);
const step = (text) => console.log("ok:", text);
const ask = (request) => console.log("rookery-e2e:", request);
const scopes = "read write follow push";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Calls `probe` until it returns something truthy; returns that.
const until = async (what, probe) => {
  const deadline = Date.now() + 15000;
  for (;;) {
    const found = await probe();
    if (found) return found;
    assert.ok(Date.now() < deadline, what);
    await sleep(100);
  }
};
const rejectedWith = (status) => (e) => e.statusCode === status;

// 1. Two users of one app (password grant, as in masto_flow.mjs).
const anon = createRestAPIClient({ url: base });
const app = await anon.v1.apps.create({
  clientName: "masto-e2e-more",
  redirectUris: "urn:ietf:wg:oauth:2.0:oob",
  scopes,
});
const oauth = createOAuthAPIClient({ url: base });
const login = async (user) => {
  const token = await oauth.token.create({
    grantType: "password",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    redirectUri: "urn:ietf:wg:oauth:2.0:oob",
    username: `${user}@example.com`,
    password: "a good password",
    scope: scopes,
  });
  return createRestAPIClient({ url: base, accessToken: token.accessToken });
};
const alice = await login("alice");
const bob = await login("bob");
const aliceId = (await alice.v1.accounts.verifyCredentials()).id;
const bobId = (await bob.v1.accounts.verifyCredentials()).id;
step("password grant for alice and bob");

// 2. A multiple-choice poll (JSON body): made, read, voted in, ended, notified.
const posted = await alice.v1.statuses.create({
  status: "Which days suit you?",
  poll: { options: ["Monday", "Tuesday", "Friday"], expiresIn: 300, multiple: true },
});
assert.deepEqual(posted.poll.options.map((o) => o.title), ["Monday", "Tuesday", "Friday"]);
assert.equal(posted.poll.multiple, true);
assert.equal(posted.poll.expired, false);
assert.equal(posted.poll.votesCount, 0);
assert.equal(posted.poll.votersCount, 0);
const left = (Date.parse(posted.poll.expiresAt) - Date.now()) / 1000;
assert.ok(left > 240 && left <= 300, posted.poll.expiresAt);
const pollId = posted.poll.id;
const before = await bob.v1.polls.$select(pollId).fetch();
assert.equal(before.voted, false);
assert.deepEqual(before.ownVotes, []);
const voted = await bob.v1.polls.$select(pollId).votes.create({ choices: [0, 2] });
assert.equal(voted.voted, true);
assert.deepEqual([...voted.ownVotes].sort(), [0, 2]);
assert.deepEqual(voted.options.map((o) => o.votesCount), [1, 0, 1]);
assert.equal(voted.votesCount, 2);
assert.equal(voted.votersCount, 1);
assert.deepEqual((await bob.v1.statuses.$select(posted.id).fetch()).poll.ownVotes.toSorted(), [0, 2]);
ask("end polls");
const ended = await until("the poll never ended", async () => {
  const p = await alice.v1.polls.$select(pollId).fetch();
  return p.expired ? p : null;
});
assert.deepEqual(ended.options.map((o) => o.votesCount), [1, 0, 1]);
await assert.rejects(bob.v1.polls.$select(pollId).votes.create({ choices: [1] }), rejectedWith(422));
for (const [who, client] of [["alice", alice], ["bob", bob]]) {
  const note = await until(`no poll notification for ${who}`, async () =>
    (await client.v1.notifications.list({ types: ["poll"] })).find((n) => n.status?.id === posted.id),
  );
  assert.equal(note.type, "poll");
  assert.equal(note.account.id, aliceId);
  assert.equal(note.status.poll.expired, true);
}
step("poll: statuses.create with poll, polls.fetch, votes.create, ended, poll notifications");

// 3. Markers (JSON body): home and notifications.
const latest = (await bob.v1.notifications.list({ limit: 1 }))[0];
const saved = await bob.v1.markers.create({
  home: { lastReadId: posted.id },
  notifications: { lastReadId: latest.id },
});
assert.equal(saved.home.lastReadId, posted.id);
assert.equal(saved.notifications.lastReadId, latest.id);
const markers = await bob.v1.markers.fetch({ timeline: ["home", "notifications"] });
assert.equal(markers.home.lastReadId, posted.id);
assert.equal(markers.notifications.lastReadId, latest.id);
assert.equal(typeof markers.home.version, "number");
assert.ok(!Number.isNaN(Date.parse(markers.home.updatedAt)), markers.home.updatedAt);
const onlyHome = await bob.v1.markers.fetch({ timeline: ["home"] });
assert.deepEqual(Object.keys(onlyHome), ["home"]);
step("markers: create, fetch");

// 4. Conversations: a direct message; listed, read, answered, removed.
const dm = await alice.v1.statuses.create({ status: "@bob between us", visibility: "direct" });
const conversationOf = async (client, statusId) =>
  (await client.v1.conversations.list()).find((c) => c.lastStatus?.id === statusId);
const theirs = await until("no conversation for bob", () => conversationOf(bob, dm.id));
assert.equal(theirs.unread, true);
assert.deepEqual(theirs.accounts.map((a) => a.id), [aliceId]);
const read = await bob.v1.conversations.$select(theirs.id).read();
assert.equal(read.unread, false);
assert.equal(read.id, theirs.id);
const answer = await bob.v1.statuses.create({
  status: "@alice agreed",
  visibility: "direct",
  inReplyToId: dm.id,
});
const mine = await until("no conversation for alice", () => conversationOf(alice, answer.id));
assert.equal(mine.unread, true);
assert.deepEqual(mine.accounts.map((a) => a.id), [bobId]);
await bob.v1.conversations.$select(theirs.id).remove();
assert.ok(!(await bob.v1.conversations.list()).some((c) => c.id === theirs.id));
// Removing it from bob's list leaves alice's and the statuses alone.
assert.ok((await alice.v1.conversations.list()).some((c) => c.id === mine.id));
assert.equal((await bob.v1.statuses.$select(dm.id).fetch()).id, dm.id);
step("conversations: list, read, reply in the same conversation, remove");

// 5. Followed tags: alice's tagged post (bob does not follow her) reaches bob's home.
const tag = await bob.v1.tags.$select("MastoE2E").follow();
assert.equal(tag.following, true);
assert.equal(tag.name.toLowerCase(), "mastoe2e");
assert.deepEqual((await bob.v1.followedTags.list()).map((t) => t.name.toLowerCase()), ["mastoe2e"]);
assert.equal((await bob.v1.tags.$select("mastoe2e").fetch()).following, true);
const untagged = await alice.v1.statuses.create({ status: "nothing tagged" });
const tagged = await alice.v1.statuses.create({ status: "more about #MastoE2E" });
const home = await until("the tagged post never reached bob's home", async () => {
  const h = await bob.v1.timelines.home.list({ limit: 40 });
  return h.some((s) => s.id === tagged.id) ? h : null;
});
assert.ok(!home.some((s) => s.id === untagged.id));
assert.equal((await bob.v1.tags.$select("mastoe2e").unfollow()).following, false);
assert.deepEqual(await bob.v1.followedTags.list(), []);
step("tags: follow, followedTags, a followed tag's post in home, unfollow");

// 6. Scheduled posts: created (JSON, scheduledAt), listed, moved, cancelled, published.
const at = new Date(Date.now() + 10 * 60 * 1000);
const later = await alice.v1.statuses.create({ status: "scheduled by masto", scheduledAt: at.toISOString() });
assert.equal(later.params.text, "scheduled by masto");
assert.ok(Math.abs(Date.parse(later.scheduledAt) - at.getTime()) < 1000, later.scheduledAt);
const dropped = await alice.v1.statuses.create({
  status: "cancelled by masto",
  scheduledAt: new Date(at.getTime() + 60000).toISOString(),
});
const listed = await alice.v1.scheduledStatuses.list();
assert.deepEqual(listed.map((s) => s.id), [dropped.id, later.id]);
const moveTo = new Date(at.getTime() + 20 * 60 * 1000);
const moved = await alice.v1.scheduledStatuses.$select(later.id).update({ scheduledAt: moveTo.toISOString() });
assert.ok(Math.abs(Date.parse(moved.scheduledAt) - moveTo.getTime()) < 1000, moved.scheduledAt);
assert.equal((await alice.v1.scheduledStatuses.$select(later.id).fetch()).scheduledAt, moved.scheduledAt);
await alice.v1.scheduledStatuses.$select(dropped.id).remove();
await assert.rejects(alice.v1.scheduledStatuses.$select(dropped.id).fetch(), rejectedWith(404));
ask("publish scheduled statuses");
await until("the scheduled status was never published", async () =>
  (await alice.v1.scheduledStatuses.list()).length === 0,
);
const own = await alice.v1.accounts.$select(aliceId).statuses.list({ limit: 40 });
assert.equal(own.filter((s) => s.content.includes("scheduled by masto")).length, 1);
assert.ok(!own.some((s) => s.content.includes("cancelled by masto")));
step("scheduled statuses: create, list, update, remove, published");

// 7. Preview cards: a post linking a page with OpenGraph facts gets a card.
const page = `<!doctype html><html><head><title>Fallback</title>
<meta property="og:title" content="A page for masto">
<meta property="og:description" content="Its card, read by a real client.">
<meta property="og:site_name" content="Masto News">
<meta property="og:image" content="/picture.jpg">
</head><body>text</body></html>`;
const site = createServer((req, res) => {
  if (req.url === "/story") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
  } else if (req.url === "/picture.jpg") {
    res.writeHead(200, { "content-type": "image/jpeg" }).end(image);
  } else {
    res.writeHead(404).end();
  }
});
await new Promise((r) => site.listen(0, "127.0.0.1", r));
const link = `http://127.0.0.1:${site.address().port}/story`;
const linked = await alice.v1.statuses.create({ status: `Have a look: ${link}` });
const card = await until("no card with its image", async () => {
  const c = (await bob.v1.statuses.$select(linked.id).fetch()).card;
  return c?.image ? c : null;
});
assert.equal(card.url, link);
assert.equal(card.type, "link");
assert.equal(card.title, "A page for masto");
assert.equal(card.description, "Its card, read by a real client.");
assert.equal(card.providerName, "Masto News");
assert.ok(card.width > 0 && card.height > 0, `${card.width}x${card.height}`);
const picture = await fetch(card.image);
assert.equal(picture.status, 200);
assert.ok(picture.headers.get("content-type").startsWith("image/"));
site.close();
step("preview card on a status with a link");
console.log("masto more flow passed");
