// An independent ActivityPub server built on Fedify, for Rookery's federation tests
// (crates/server/tests/it/fedify.rs). It serves two actors over HTTPS on loopback:
//   carol — accepts follows at once;
//   dora  — locked (manuallyApprovesFollowers); accepts when told to;
//   erin  — accepts follows at once; the account carol moves to in the migration test.
// Posts may carry a quote policy and quote others' posts (FEP-044f): a QuoteRequest for an
// open post is approved with a QuoteAuthorization; an approval of our quote is fetched, kept
// (state.quoteChecks) and sent on with the post.
// Everything is kept in memory. A plain-HTTP control API on a second loopback port lets the
// test drive the actors (follow, post, like, …) and read what arrived in their inboxes.
// When both servers listen, one JSON line {"ready":true,"port":…,"control":…} goes to stdout.
//
// Environment: PEER_CERT, PEER_KEY (the HTTPS certificate and key for 127.0.0.1),
// NODE_EXTRA_CA_CERTS (to trust Rookery's test CA). Needs Node >= 22 and @fedify/fedify,
// @fedify/vocab (installed by scripts/setup-e2e).

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import zlib from "node:zlib";
import {
  createFederation,
  generateCryptoKeyPair,
  InProcessMessageQueue,
  MemoryKvStore,
  signRequest,
} from "@fedify/fedify";
import * as v from "@fedify/vocab";
import { configure, getConsoleSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

const ACTORS = {
  carol: { name: "Carol (Fedify)", locked: false },
  dora: { name: "Dora (Fedify, locked)", locked: true },
  erin: { name: "Erin (Fedify)", locked: false },
};
// Account migration: the actors each names as its other accounts (alsoKnownAs), and where
// each moved (movedTo).
const aliases = new Map(); // identifier → [actor URL]
const movedTo = new Map(); // identifier → actor URL

// State, all in memory.
const keys = new Map(); // identifier → [rsa, ed25519] CryptoKeyPairs
const followers = new Map(); // identifier → Map(actor id → {id, inboxId, sharedInbox})
const pending = new Map(); // identifier → Map(actor id → Follow activity) (dora's requests)
const following = new Map(); // identifier → Map(target actor id → {follow, state})
const objects = new Map(); // object id → Note/Question (served and updated)
const inbox = []; // what arrived, in order: {recipient?, type, id, actor, raw, parsed}
const quoteRequests = new Map(); // QuoteRequest id sent → quoting object id
const quoteChecks = []; // QuoteAuthorizations received for our quotes, as Fedify parsed them
const errors = []; // outgoing delivery errors
for (const id of Object.keys(ACTORS)) {
  followers.set(id, new Map());
  pending.set(id, new Map());
  following.set(id, new Map());
}

// A small valid PNG (16×16, one colour) served at /media/pic.png.
function png() {
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(16, 0);
  ihdr.writeUInt32BE(16, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = [];
  for (let y = 0; y < 16; y++) {
    rows.push(Buffer.from([0]));
    for (let x = 0; x < 16; x++) rows.push(Buffer.from([200, 40 + x * 10, 90]));
  }
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const PNG = png();
const mediaFetches = []; // paths of media the peer served (to see Rookery fetch it)

// Fedify's warnings and errors go to stderr (the test shows them when it fails).
await configure({
  sinks: { console: getConsoleSink() },
  loggers: [
    { category: "fedify", lowestLevel: process.env.PEER_LOG_LEVEL ?? "warning", sinks: ["console"] },
    { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
  ],
});

// The HTTPS server must know its port before Fedify is configured (the origin).
const tls = { cert: readFileSync(process.env.PEER_CERT), key: readFileSync(process.env.PEER_KEY) };
let federation;
const server = https.createServer(tls, (req, res) => serve(req, res, federation));
await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
const port = server.address().port;
const origin = `https://127.0.0.1:${port}`;

federation = createFederation({
  kv: new MemoryKvStore(),
  queue: new InProcessMessageQueue(),
  origin,
  // Loopback peers only: never outside tests.
  allowPrivateAddress: true,
  onOutboxError: (error, activity) => {
    errors.push({ activity: activity?.id?.href ?? null, error: String(error) });
  },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    const actor = ACTORS[identifier];
    if (actor == null) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new v.Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: actor.name,
      summary: `<p>${actor.name}, a test actor on Fedify</p>`,
      url: new URL(`/@${identifier}`, origin),
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      endpoints: new v.Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      following: ctx.getFollowingUri(identifier),
      manuallyApprovesFollowers: actor.locked,
      discoverable: true,
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
      aliases: (aliases.get(identifier) ?? []).map((u) => new URL(u)),
      successor: movedTo.has(identifier) ? new URL(movedTo.get(identifier)) : null,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (ACTORS[identifier] == null) return [];
    if (!keys.has(identifier)) {
      keys.set(identifier, [
        await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
        await generateCryptoKeyPair("Ed25519"),
      ]);
    }
    return keys.get(identifier);
  });

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    const list = followers.get(identifier);
    if (list == null) return null;
    return {
      items: [...list.values()].map((f) => ({
        id: new URL(f.id),
        inboxId: new URL(f.inboxId),
        endpoints: f.sharedInbox == null ? null : { sharedInbox: new URL(f.sharedInbox) },
      })),
    };
  })
  .setCounter((_ctx, identifier) => followers.get(identifier)?.size ?? 0);

federation.setFollowingDispatcher("/users/{identifier}/following", (_ctx, identifier) => {
  const list = following.get(identifier);
  if (list == null) return null;
  return {
    items: [...list.entries()].filter(([, f]) => f.state === "accepted").map(([id]) => new URL(id)),
  };
});

federation.setOutboxDispatcher("/users/{identifier}/outbox", () => ({ items: [] }));

const objectPath = "/users/{identifier}/objects/{id}";
const dispatchObject = (_ctx, values) =>
  objects.get(new URL(`/users/${values.identifier}/objects/${values.id}`, origin).href) ?? null;
federation.setObjectDispatcher(v.Note, objectPath, dispatchObject);
federation.setObjectDispatcher(v.Question, "/users/{identifier}/questions/{id}", (_ctx, values) =>
  objects.get(new URL(`/users/${values.identifier}/questions/${values.id}`, origin).href) ?? null,
);
// Approvals of quotes of our posts (FEP-044f).
federation.setObjectDispatcher(
  v.QuoteAuthorization,
  "/users/{identifier}/quote-authorizations/{id}",
  (_ctx, values) =>
    objects.get(new URL(`/users/${values.identifier}/quote-authorizations/${values.id}`, origin).href) ?? null,
);

/** What Fedify itself understood of an object (its parsed properties, not the raw JSON). */
async function summarize(object, opts = {}) {
  if (object == null) return null;
  if (object instanceof URL) return { id: object.href };
  const out = {
    id: object.id?.href ?? null,
    type: object.constructor.name,
    to: object.toIds.map((u) => u.href),
    cc: object.ccIds.map((u) => u.href),
  };
  // A Question is an (intransitive) Activity in ActivityStreams, but a post here.
  if (object instanceof v.Activity && !(object instanceof v.Question)) {
    out.actor = object.actorId?.href ?? null;
    out.objectId = object.objectId?.href ?? null;
    if (object instanceof v.Create || object instanceof v.Update || object instanceof v.Undo) {
      out.object = await summarize(await object.getObject(opts), opts);
    }
    return out;
  }
  out.content = object.content?.toString() ?? null;
  out.name = object.name?.toString() ?? null;
  out.inReplyTo = object.replyTargetId?.href ?? null;
  out.attributedTo = object.attributionId?.href ?? null;
  if (object instanceof v.Note) {
    out.quote = object.quoteId?.href ?? null;
    out.quoteAuthorization = object.quoteAuthorizationId?.href ?? null;
    const rule = object.interactionPolicy?.canQuote;
    out.canQuote = rule == null ? null : rule.automaticApprovals.map((u) => u.href);
  }
  out.tags = [];
  for await (const tag of object.getTags(opts)) {
    out.tags.push({ type: tag.constructor.name, href: tag.href?.href ?? null, name: tag.name?.toString() ?? null });
  }
  out.attachments = [];
  for await (const a of object.getAttachments(opts)) {
    const url = a.url instanceof URL ? a.url.href : a.url?.href?.href ?? null;
    out.attachments.push({ type: a.constructor.name, url, mediaType: a.mediaType ?? null });
  }
  if (object instanceof v.Question) {
    out.oneOf = [];
    for await (const o of object.getExclusiveOptions(opts)) out.oneOf.push(o.name?.toString());
    out.anyOf = [];
    for await (const o of object.getInclusiveOptions(opts)) out.anyOf.push(o.name?.toString());
  }
  return out;
}

/** Fetches as `identifier` would (signed: Rookery may require it). */
const signedAs = async (ctx, identifier) => ({
  documentLoader: await ctx.getDocumentLoader({ identifier: ACTORS[identifier] ? identifier : "carol" }),
});

async function record(ctx, activity) {
  const opts = await signedAs(ctx, ctx.recipient ?? "carol");
  inbox.push({
    recipient: ctx.recipient ?? null,
    type: activity.constructor.name,
    id: activity.id?.href ?? null,
    actor: activity.actorId?.href ?? null,
    parsed: await summarize(activity, opts),
  });
}

/** A QuoteRequest for one of our posts: approved when the post lets anyone quote it. */
async function answerQuoteRequest(ctx, request) {
  const note = objects.get(request.objectId?.href);
  const owner = note == null ? null : ctx.parseUri(note.attributionId);
  if (owner?.type !== "actor") return;
  const identifier = owner.identifier;
  const requester = await request.getActor(await signedAs(ctx, identifier));
  if (requester == null) return;
  const open = note.interactionPolicy?.canQuote?.automaticApprovals.some((u) => u.href === PUBLIC.href);
  if (!open) {
    const reject = new v.Reject({ id: newId(identifier, "rejects"), actor: ctx.getActorUri(identifier), object: request });
    return void (await ctx.sendActivity({ identifier }, requester, reject));
  }
  const auth = new v.QuoteAuthorization({
    id: newId(identifier, "quote-authorizations"),
    attribution: ctx.getActorUri(identifier),
    interactingObject: request.instrumentId,
    interactionTarget: note.id,
  });
  objects.set(auth.id.href, auth);
  const accept = new v.Accept({ id: newId(identifier, "accepts"), actor: ctx.getActorUri(identifier), object: request, result: auth.id });
  await ctx.sendActivity({ identifier }, requester, accept);
}

/**
 * Our quote was approved: fetch the approval as Fedify reads it, keep what it says, and send
 * the post again carrying it.
 */
async function quoteApproved(ctx, accept, quotingId) {
  const note = objects.get(quotingId);
  const owner = note == null ? null : ctx.parseUri(note.attributionId);
  if (owner?.type !== "actor" || accept.resultId == null) return;
  const identifier = owner.identifier;
  const auth = await lookup(ctx, identifier, accept.resultId.href);
  quoteChecks.push({
    id: auth.id?.href ?? null,
    type: auth.constructor.name,
    attributedTo: auth.attributionId?.href ?? null,
    interactingObject: auth.interactingObjectId?.href ?? null,
    interactionTarget: auth.interactionTargetId?.href ?? null,
  });
  const updated = note.clone({ quoteAuthorization: auth.id, updated: Temporal.Now.instant() });
  objects.set(quotingId, updated);
  const author = await accept.getActor(await signedAs(ctx, identifier));
  const update = new v.Update({
    id: new URL(`${quotingId}#updates/${randomUUID()}`),
    actor: ctx.getActorUri(identifier),
    object: updated,
    tos: note.toIds,
    ccs: note.ccIds,
  });
  await fanOut(ctx, identifier, "public", update, author == null ? [] : [author]);
}

async function acceptFollow(ctx, identifier, follow) {
  const follower = await follow.getActor(await signedAs(ctx, identifier));
  if (follower == null || follower.id == null) return;
  followers.get(identifier).set(follower.id.href, {
    id: follower.id.href,
    inboxId: follower.inboxId.href,
    sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
  });
  await ctx.sendActivity(
    { identifier },
    follower,
    new v.Accept({
      id: new URL(`${ctx.getActorUri(identifier).href}#accepts/${randomUUID()}`),
      actor: ctx.getActorUri(identifier),
      object: follow,
    }),
  );
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(v.Follow, async (ctx, follow) => {
    await record(ctx, follow);
    const target = ctx.parseUri(follow.objectId);
    if (target?.type !== "actor" || ACTORS[target.identifier] == null) return;
    if (ACTORS[target.identifier].locked) {
      pending.get(target.identifier).set(follow.actorId.href, follow);
    } else {
      await acceptFollow(ctx, target.identifier, follow);
    }
  })
  .on(v.Accept, async (ctx, accept) => {
    await record(ctx, accept);
    const quoting = quoteRequests.get(accept.objectId?.href);
    if (quoting != null) return void (await quoteApproved(ctx, accept, quoting));
    for (const list of following.values()) {
      const f = list.get(accept.actorId?.href);
      if (f != null) f.state = "accepted";
    }
  })
  .on(v.QuoteRequest, async (ctx, request) => {
    await record(ctx, request);
    await answerQuoteRequest(ctx, request);
  })
  .on(v.Reject, async (ctx, reject) => {
    await record(ctx, reject);
    for (const list of following.values()) {
      const f = list.get(reject.actorId?.href);
      if (f != null) f.state = "rejected";
    }
  })
  .on(v.Undo, async (ctx, undo) => {
    await record(ctx, undo);
    const object = await undo.getObject(await signedAs(ctx, ctx.recipient ?? "carol"));
    if (object instanceof v.Follow) {
      const target = ctx.parseUri(object.objectId);
      if (target?.type === "actor") followers.get(target.identifier)?.delete(undo.actorId.href);
    }
  })
  .on(v.Block, async (ctx, block) => {
    await record(ctx, block);
    const target = ctx.parseUri(block.objectId);
    if (target?.type === "actor") {
      followers.get(target.identifier)?.delete(block.actorId.href);
      following.get(target.identifier)?.delete(block.actorId.href);
    }
  })
  .on(v.Activity, record)
  .onError((_ctx, error) => {
    errors.push({ inbox: true, error: String(error) });
  });

// The control API: JSON in, JSON out.
const ctxFor = () => federation.createContext(new URL(origin), undefined);
const newId = (identifier, kind) => new URL(`/users/${identifier}/${kind}/${randomUUID()}`, origin);
const PUBLIC = v.PUBLIC_COLLECTION;

async function lookup(ctx, identifier, handleOrUrl) {
  const documentLoader = await ctx.getDocumentLoader({ identifier });
  const found = await ctx.lookupObject(handleOrUrl, { documentLoader });
  if (found == null) throw new Error(`could not look up ${handleOrUrl}`);
  return found;
}

/** Addressing for a visibility, Mastodon's way. */
function addressing(ctx, identifier, visibility, mentioned) {
  const followersUri = ctx.getFollowersUri(identifier);
  const m = mentioned.map((a) => a.id);
  switch (visibility) {
    case "public":
      return { tos: [PUBLIC], ccs: [followersUri, ...m] };
    case "unlisted":
      return { tos: [followersUri], ccs: [PUBLIC, ...m] };
    case "followers":
      return { tos: [followersUri], ccs: m };
    case "direct":
      return { tos: m, ccs: [] };
    default:
      throw new Error(`unknown visibility ${visibility}`);
  }
}

/** Sends `activity` to the followers (unless direct) and to every actor in `extra`. */
async function fanOut(ctx, identifier, visibility, activity, extra) {
  if (visibility !== "direct") {
    await ctx.sendActivity({ identifier }, "followers", activity, { preferSharedInbox: true });
  }
  if (extra.length > 0) await ctx.sendActivity({ identifier }, extra, activity);
}

const control = {
  async "POST /control/follow"(ctx, { actor = "carol", handle }) {
    const target = await lookup(ctx, actor, handle);
    const follow = new v.Follow({ id: newId(actor, "follows"), actor: ctx.getActorUri(actor), object: target.id });
    following.get(actor).set(target.id.href, { follow, state: "pending", target });
    await ctx.sendActivity({ identifier: actor }, target, follow);
    return { id: follow.id.href, target: target.id.href };
  },
  async "POST /control/undo-follow"(ctx, { actor = "carol", handle }) {
    const target = await lookup(ctx, actor, handle);
    const f = following.get(actor).get(target.id.href);
    if (f == null) throw new Error(`${actor} does not follow ${handle}`);
    following.get(actor).delete(target.id.href);
    const undo = new v.Undo({ id: newId(actor, "undos"), actor: ctx.getActorUri(actor), object: f.follow });
    await ctx.sendActivity({ identifier: actor }, target, undo);
    return { id: undo.id.href };
  },
  async "POST /control/alias"(_ctx, { actor = "erin", uri }) {
    aliases.set(actor, [...(aliases.get(actor) ?? []), uri]);
    return { aliases: aliases.get(actor) };
  },
  async "POST /control/move"(ctx, { actor = "carol", target }) {
    movedTo.set(actor, target);
    const move = new v.Move({
      id: newId(actor, "moves"),
      actor: ctx.getActorUri(actor),
      object: ctx.getActorUri(actor),
      target: new URL(target),
    });
    await ctx.sendActivity({ identifier: actor }, "followers", move, { preferSharedInbox: true });
    return { id: move.id.href };
  },
  async "POST /control/accept"(ctx, { actor = "dora", follower }) {
    const follow = pending.get(actor).get(follower);
    if (follow == null) throw new Error(`no follow request from ${follower} to ${actor}`);
    pending.get(actor).delete(follower);
    await acceptFollow(ctx, actor, follow);
    return { accepted: follower };
  },
  async "POST /control/post"(ctx, body) {
    const { actor = "carol", content, visibility = "public", inReplyTo, mentions = [], image, poll, quote, quotePolicy } = body;
    const mentioned = [];
    for (const handle of mentions) mentioned.push(await lookup(ctx, actor, handle));
    const tags = mentioned.map((a, i) => new v.Mention({ href: a.id, name: `@${mentions[i].replace(/^@/, "")}` }));
    const attachments = image
      ? [new v.Image({ url: new URL("/media/pic.png", origin), mediaType: "image/png", name: image, width: 16, height: 16 })]
      : [];
    const common = {
      attribution: ctx.getActorUri(actor),
      content,
      published: Temporal.Now.instant(),
      replyTarget: inReplyTo ? new URL(inReplyTo) : null,
      tags,
      attachments,
      ...addressing(ctx, actor, visibility, mentioned),
    };
    if (quotePolicy != null) {
      const who = quotePolicy === "public" ? [PUBLIC] : [ctx.getActorUri(actor)];
      common.interactionPolicy = new v.InteractionPolicy({ canQuote: new v.InteractionRule({ automaticApprovals: who }) });
    }
    let quoted = null;
    if (quote != null) {
      const target = await lookup(ctx, actor, quote);
      quoted = await target.getAttribution({ documentLoader: await ctx.getDocumentLoader({ identifier: actor }) });
      common.quote = target.id;
    }
    let object;
    if (poll) {
      const id = newId(actor, "questions");
      const options = poll.options.map(
        (name) => new v.Note({ name, replies: new v.Collection({ totalItems: 0 }) }),
      );
      object = new v.Question({
        ...common,
        id,
        url: id,
        endTime: Temporal.Now.instant().add({ seconds: poll.expiresIn ?? 3600 }),
        voters: 0,
        ...(poll.multiple ? { inclusiveOptions: options } : { exclusiveOptions: options }),
      });
    } else {
      const id = newId(actor, "objects");
      object = new v.Note({ ...common, id, url: id });
    }
    objects.set(object.id.href, object);
    const create = new v.Create({
      id: new URL(`${object.id.href}#create`),
      actor: ctx.getActorUri(actor),
      object,
      tos: common.tos,
      ccs: common.ccs,
      published: common.published,
    });
    await fanOut(ctx, actor, visibility, create, quoted == null ? mentioned : [...mentioned, quoted]);
    if (quoted != null) {
      // Ask the quoted author's approval (FEP-044f), with the quoting post inlined.
      const request = new v.QuoteRequest({
        id: newId(actor, "quote-requests"),
        actor: ctx.getActorUri(actor),
        object: common.quote,
        instrument: object,
      });
      quoteRequests.set(request.id.href, object.id.href);
      await ctx.sendActivity({ identifier: actor }, quoted, request);
    }
    return { id: object.id.href };
  },
  async "POST /control/update"(ctx, { actor = "carol", id, content, visibility = "public" }) {
    const old = objects.get(id);
    if (old == null) throw new Error(`no object ${id}`);
    const updated = old.clone({ content, updated: Temporal.Now.instant() });
    objects.set(id, updated);
    const update = new v.Update({
      id: new URL(`${id}#updates/${randomUUID()}`),
      actor: ctx.getActorUri(actor),
      object: updated,
      tos: old.toIds,
      ccs: old.ccIds,
    });
    await fanOut(ctx, actor, visibility, update, []);
    return { id };
  },
  async "POST /control/delete"(ctx, { actor = "carol", id, visibility = "public" }) {
    const old = objects.get(id);
    if (old == null) throw new Error(`no object ${id}`);
    objects.delete(id);
    const del = new v.Delete({
      id: new URL(`${id}#delete`),
      actor: ctx.getActorUri(actor),
      object: new v.Tombstone({ id: new URL(id) }),
      tos: [PUBLIC],
    });
    await fanOut(ctx, actor, visibility, del, []);
    return { id };
  },
  async "POST /control/like"(ctx, { actor = "carol", object }) {
    const target = await lookup(ctx, actor, object);
    const author = await target.getAttribution({ documentLoader: await ctx.getDocumentLoader({ identifier: actor }) });
    const like = new v.Like({ id: newId(actor, "likes"), actor: ctx.getActorUri(actor), object: target.id });
    await ctx.sendActivity({ identifier: actor }, author, like);
    return { id: like.id.href };
  },
  async "POST /control/announce"(ctx, { actor = "carol", object }) {
    const target = await lookup(ctx, actor, object);
    const author = await target.getAttribution({ documentLoader: await ctx.getDocumentLoader({ identifier: actor }) });
    const announce = new v.Announce({
      id: newId(actor, "announces"),
      actor: ctx.getActorUri(actor),
      object: target.id,
      tos: [PUBLIC],
      ccs: [ctx.getFollowersUri(actor), author.id],
      published: Temporal.Now.instant(),
    });
    await fanOut(ctx, actor, "public", announce, [author]);
    return { id: announce.id.href };
  },
  async "POST /control/block"(ctx, { actor = "carol", handle }) {
    const target = await lookup(ctx, actor, handle);
    followers.get(actor).delete(target.id.href);
    following.get(actor).delete(target.id.href);
    const block = new v.Block({ id: newId(actor, "blocks"), actor: ctx.getActorUri(actor), object: target.id });
    await ctx.sendActivity({ identifier: actor }, target, block);
    return { id: block.id.href };
  },
  async "POST /control/vote"(ctx, { actor = "carol", question, choices }) {
    const poll = await lookup(ctx, actor, question);
    const author = await poll.getAttribution({ documentLoader: await ctx.getDocumentLoader({ identifier: actor }) });
    const ids = [];
    for (const name of choices) {
      const note = new v.Note({
        id: newId(actor, "votes"),
        attribution: ctx.getActorUri(actor),
        name,
        replyTarget: poll.id,
        tos: [author.id],
      });
      const create = new v.Create({ id: new URL(`${note.id.href}#create`), actor: ctx.getActorUri(actor), object: note, tos: [author.id] });
      await ctx.sendActivity({ identifier: actor }, author, create);
      ids.push(note.id.href);
    }
    return { ids };
  },
  // Fedify's own look-up: WebFinger for a handle, then the document, fetched with a signed GET
  // (as `actor`), or unsigned with signed=false. Answers the document Fedify parsed.
  async "GET /control/lookup"(ctx, _body, query) {
    const target = query.get("q");
    const options = query.get("signed") === "false" ? {} : { documentLoader: await ctx.getDocumentLoader({ identifier: query.get("actor") ?? "carol" }) };
    const found = await ctx.lookupObject(target, options);
    return { found: found != null, object: found == null ? null : await found.toJsonLd(), summary: await summarize(found) };
  },
  // A raw GET of `url` (ActivityPub media type), signed as `actor` with draft-cavage or RFC 9421
  // (`spec`), or unsigned: the status and body as they came.
  async "GET /control/fetch"(ctx, _body, query) {
    let request = new Request(query.get("url"), { headers: { accept: "application/activity+json" } });
    const spec = query.get("spec");
    if (spec != null) {
      const actor = query.get("actor") ?? "carol";
      const [rsa] = await ctx.getActorKeyPairs(actor);
      request = await signRequest(request, rsa.privateKey, rsa.keyId, { spec });
    }
    const response = await fetch(request);
    return { status: response.status, body: await response.text() };
  },
  async "GET /control/inbox"() {
    return inbox;
  },
  async "GET /control/state"() {
    const dump = (m) => Object.fromEntries([...m].map(([k, x]) => [k, [...x.keys()]]));
    return {
      followers: dump(followers),
      pending: dump(pending),
      following: Object.fromEntries([...following].map(([k, x]) => [k, Object.fromEntries([...x].map(([t, f]) => [t, f.state]))])),
      errors,
      mediaFetches,
      quoteChecks,
    };
  },
  async "GET /control/object"(_ctx, _body, query) {
    const o = objects.get(query.get("id"));
    return o == null ? null : await summarize(o);
  },
};

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks);
}

// HTTPS: media files here, everything else through Fedify.
async function serve(req, res, fed) {
  try {
    const url = new URL(req.url, origin);
    if (url.pathname.startsWith("/media/")) {
      mediaFetches.push(url.pathname);
      if (url.pathname !== "/media/pic.png") return void res.writeHead(404).end();
      return void res.writeHead(200, { "content-type": "image/png", "content-length": PNG.length }).end(PNG);
    }
    const headers = new Headers();
    for (const [k, val] of Object.entries(req.headers)) {
      for (const x of Array.isArray(val) ? val : [val]) headers.append(k, x);
    }
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : await readBody(req);
    const response = await fed.fetch(new Request(url, { method: req.method, headers, body }), { contextData: undefined });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (e) {
    console.error("peer:", e);
    res.writeHead(500).end(String(e));
  }
}

// The test holds our stdin: when it goes away (even killed), so do we.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("error", () => process.exit(0));
process.stdin.resume();

const controlServer = http.createServer(async (req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  const handler = control[`${req.method} ${url.pathname}`];
  if (handler == null) return void res.writeHead(404).end("{}");
  try {
    const raw = await readBody(req);
    const body = raw.length > 0 ? JSON.parse(raw.toString()) : {};
    const out = await handler(ctxFor(), body, url.searchParams);
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(out ?? null));
  } catch (e) {
    console.error(`peer: ${req.method} ${url.pathname}:`, e);
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: String(e?.stack ?? e) }));
  }
});
await new Promise((ok) => controlServer.listen(0, "127.0.0.1", ok));
console.log(JSON.stringify({ ready: true, port, control: controlServer.address().port }));
