// End-to-end flow with masto (npm) against a running Rookery.
// Usage: node masto_flow.mjs BASE_URL NODE_MODULES_DIR
// Expects local accounts alice and bob (USER@example.com / "a good password").
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } = await import(
  pathToFileURL(join(process.argv[3], "masto", "dist", "index.js")).href
);

const base = process.argv[2];
const step = (text) => console.log("ok:", text);
const scopes = "read write follow push";

const anon = createRestAPIClient({ url: base });
const instance = await anon.v2.instance.fetch();
assert.ok(instance.version.startsWith("4."), instance.version);
assert.equal(instance.apiVersions.mastodon, 2);
step("instance v2");

// masto sends JSON for the app and multipart for the token.
const app = await anon.v1.apps.create({
  clientName: "masto-e2e",
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
  return [createRestAPIClient({ url: base, accessToken: token.accessToken }), token.accessToken];
};
const [alice, aliceToken] = await login("alice");
const [bob] = await login("bob");
assert.equal((await alice.v1.accounts.verifyCredentials()).username, "alice");
step("apps.create (JSON), token.create (multipart), verifyCredentials");

// Registration through masto: an app token (client credentials) signs a person up.
const appToken = await oauth.token.create({
  grantType: "client_credentials",
  clientId: app.clientId,
  clientSecret: app.clientSecret,
  scope: scopes,
});
const registrar = createRestAPIClient({ url: base, accessToken: appToken.accessToken });
const joined = await registrar.v1.accounts.create({
  username: "mastojoiner",
  email: "mastojoiner@example.com",
  password: "a good password",
  agreement: true,
  locale: "en",
});
const joiner = createRestAPIClient({ url: base, accessToken: joined.accessToken });
assert.equal((await joiner.v1.accounts.verifyCredentials()).username, "mastojoiner");
step("accounts.create (registration), then verifyCredentials with its token");

const aliceAccount = await bob.v1.accounts.lookup({ acct: "alice" });
const rel = await bob.v1.accounts.$select(aliceAccount.id).follow();
assert.equal(rel.following, true);
step("lookup, follow");

const posts = [];
for (let i = 0; i < 5; i++) {
  posts.push(await alice.v1.statuses.create({ status: `masto post ${i}`, visibility: "public" }));
}
const reply = await bob.v1.statuses.create({ status: "@alice hi", inReplyToId: posts[4].id });
assert.equal(reply.inReplyToId, posts[4].id);
step("statuses.create (JSON bodies)");

// Wait for fan-out, then page through the home timeline with masto's paginator.
const deadline = Date.now() + 10000;
for (;;) {
  const first = await bob.v1.timelines.home.list({ limit: 40 });
  if (first.length === 6) break;
  assert.ok(Date.now() < deadline, `home has ${first.length}`);
  await new Promise((r) => setTimeout(r, 100));
}
const seen = [];
for await (const page of bob.v1.timelines.home.list({ limit: 2 })) {
  seen.push(...page.map((s) => s.id));
  if (seen.length > 20) break;
}
assert.deepEqual(seen, [reply.id, ...posts.map((s) => s.id).reverse()]);
step("home timeline paginated by masto's async iterator (Link headers)");

const fav = await bob.v1.statuses.$select(posts[1].id).favourite();
assert.equal(fav.favourited, true);
const boost = await bob.v1.statuses.$select(posts[1].id).reblog();
assert.equal(boost.reblog.id, posts[1].id);
const ctx = await alice.v1.statuses.$select(reply.id).context.fetch();
assert.equal(ctx.ancestors[0].id, posts[4].id);
step("favourite, reblog, context");

for (;;) {
  const notes = await alice.v1.notifications.list({ types: ["favourite", "reblog", "follow"] });
  const types = new Set(notes.map((n) => n.type));
  if (types.has("favourite") && types.has("reblog") && types.has("follow")) break;
  assert.ok(Date.now() < deadline + 10000, [...types].join(","));
  await new Promise((r) => setTimeout(r, 100));
}
step("notifications with types[]");

const deleted = await alice.v1.statuses.$select(posts[0].id).remove();
assert.equal(deleted.text, "masto post 0");
await assert.rejects(bob.v1.statuses.$select(posts[0].id).fetch(), (e) => e.statusCode === 404);
step("delete");

const updated = await alice.v1.accounts.updateCredentials({
  displayName: "Alice from masto",
  fieldsAttributes: [{ name: "Site", value: "https://alice.example" }],
});
assert.equal(updated.displayName, "Alice from masto");
assert.equal(updated.fields[0].name, "Site");
step("updateCredentials (JSON)");
// masto's WebSocket client uses Promise.withResolvers (Node.js 22+); supply it on Node.js 20.
Promise.withResolvers ??= function () {
  let resolve, reject;
  const promise = new Promise((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

// Alice follows bob back: as in Mastodon, a mention reaches home (and the user stream's
// `update`) only from someone one follows; from others it is a notification alone.
const bobAccount = await alice.v1.accounts.lookup({ acct: "bob" });
assert.equal((await alice.v1.accounts.$select(bobAccount.id).follow()).following, true);

// Streaming over WebSocket (the token travels as the subprotocol): alice's user stream hears a
// mention, its notification and the deletion.
const { default: WebSocket } = await import(
  pathToFileURL(join(process.argv[3], "ws", "wrapper.mjs")).href
);
// Node.js 20 has no global WebSocket, which masto also reads (readyState constants).
globalThis.WebSocket ??= WebSocket;
const streaming = createStreamingAPIClient({
  streamingApiUrl: instance.configuration.urls.streaming,
  accessToken: aliceToken,
  implementation: WebSocket,
  retry: false,
});
const sub = streaming.user.subscribe();
const events = [];
const reading = (async () => {
  for await (const e of sub) {
    events.push(e);
  }
})();
const waitFor = async (what, pred) => {
  const until = Date.now() + 10000;
  for (;;) {
    const found = events.find(pred);
    if (found) return found;
    assert.ok(Date.now() < until, `${what}: ${JSON.stringify(events.map((e) => e.event))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};
// The subscription is sent once the socket opens: post until the stream hears one.
let live;
for (let i = 0; ; i++) {
  live = await bob.v1.statuses.create({ status: `@alice streaming ${i}` });
  const until = Date.now() + 1000;
  while (Date.now() < until && !events.some((e) => e.event === "update" && e.payload.id === live.id)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (events.some((e) => e.event === "update" && e.payload.id === live.id)) break;
  assert.ok(i < 10, "no update on the WebSocket");
}
const note = await waitFor("notification", (e) => e.event === "notification" && e.payload.status?.id === live.id);
assert.equal(note.payload.type, "mention");
assert.deepEqual(note.stream, ["user"]);
await bob.v1.statuses.$select(live.id).remove();
await waitFor("delete", (e) => e.event === "delete" && e.payload === live.id);
sub.unsubscribe();
streaming.close();
await Promise.race([reading, new Promise((r) => setTimeout(r, 1000))]);
step("WebSocket streaming: update, notification, delete");
// Grouped notifications (masto's v2 client): alice's favourites, boosts and follow are
// groups, with their accounts and statuses beside them.
const grouped = await alice.v2.notifications.list({ expandAccounts: "full" });
const groupKinds = new Set(grouped.notificationGroups.map((g) => g.type));
for (const kind of ["favourite", "reblog", "follow"]) {
  assert.ok(groupKinds.has(kind), `${kind}: ${JSON.stringify([...groupKinds])}`);
}
const followGroup = grouped.notificationGroups.find((g) => g.type === "follow");
assert.equal(typeof followGroup.mostRecentNotificationId, "number");
assert.ok(grouped.accounts.some((a) => a.id === followGroup.sampleAccountIds[0]));
const groupAccounts = await alice.v2.notifications.$select(followGroup.groupKey).accounts.list();
assert.deepEqual(groupAccounts.map((a) => a.username), ["bob"]);
const { count } = await alice.v2.notifications.unreadCount.fetch();
assert.ok(count >= 3, `unread groups: ${count}`);
step("v2 notifications: groups, group accounts, unread count");

// Lists (JSON bodies): bob lists alice, reads the list timeline, then removes it.
const list = await bob.v1.lists.create({ title: "From masto", repliesPolicy: "followed" });
assert.equal(list.repliesPolicy, "followed");
await bob.v1.lists.$select(list.id).accounts.create({ accountIds: [aliceAccount.id] });
const listed = await alice.v1.statuses.create({ status: "for a list, from masto" });
for (let i = 0; ; i++) {
  const tl = await bob.v1.timelines.list.$select(list.id).list();
  if (tl.some((st) => st.id === listed.id)) break;
  assert.ok(i < 100, "the post never reached the list");
  await new Promise((r) => setTimeout(r, 100));
}
const members = await bob.v1.lists.$select(list.id).accounts.list();
assert.deepEqual(members.map((a) => a.id), [aliceAccount.id]);
await bob.v1.lists.$select(list.id).accounts.remove({ accountIds: [aliceAccount.id] });
await bob.v1.lists.$select(list.id).remove();
assert.ok(!(await bob.v1.lists.list()).some((l) => l.id === list.id));
step("lists: create, accounts, list timeline, remove");
// Notification policy (JSON PATCH) and requests, as Mastodon 4.3 apps read them at launch.
const policy = await alice.v2.notifications.policy.fetch();
assert.equal(policy.forPrivateMentions, "filter");
assert.equal(typeof policy.summary.pendingRequestsCount, "number");
const changed = await alice.v2.notifications.policy.update({ forNewAccounts: "drop" });
assert.equal(changed.forNewAccounts, "drop");
assert.equal(changed.forNotFollowing, "accept");
await alice.v2.notifications.policy.update({ forNewAccounts: "accept" });
assert.ok(Array.isArray(await alice.v1.notifications.requests.list()));
assert.equal((await alice.v1.notifications.requests.merged.fetch()).merged, true);
step("notification policy and requests");
// Filters (JSON, camelCase converted by masto): a warning on home, then removed.
const filter = await bob.v2.filters.create({
  title: "From masto",
  context: ["home"],
  filterAction: "warn",
  keywordsAttributes: [{ keyword: "pineapple", wholeWord: true }],
});
assert.equal(filter.keywords[0].keyword, "pineapple");
const fruit = await alice.v1.statuses.create({ status: "pineapple pizza" });
for (let i = 0; ; i++) {
  const home = await bob.v1.timelines.home.list({ limit: 5 });
  const hit = home.find((st) => st.id === fruit.id);
  if (hit) {
    assert.equal(hit.filtered[0].filter.id, filter.id);
    assert.deepEqual(hit.filtered[0].keywordMatches, ["pineapple"]);
    break;
  }
  assert.ok(i < 100, "the post never reached home");
  await new Promise((r) => setTimeout(r, 100));
}
const kw = await bob.v2.filters.$select(filter.id).keywords.create({ keyword: "anchovy" });
assert.equal(kw.wholeWord, true);
assert.equal((await bob.v2.filters.$select(filter.id).fetch()).keywords.length, 2);
await bob.v2.filters.$select(filter.id).remove();
assert.deepEqual(await bob.v2.filters.list(), []);
step("filters: create, filtered on home, keywords, remove");
console.log("masto flow passed");
