"""End-to-end flow with Mastodon.py against a running Rookery.

Usage: mastodon_py_flow.py BASE_URL [IMAGE [MEDIA_URL]]
Expects local accounts alice and bob (e-mail USER@example.com, password "a good password").
IMAGE is a JPEG to upload (default: one made with ffmpeg); MEDIA_URL, if given, is where the
server's media files must be (`BASE_URL/system` for local storage, a CDN for S3).
Prints one line per step; exits non-zero (with a traceback) on the first failure.
"""

import os
import re
import subprocess
import sys
import tempfile
import urllib.parse

import requests
from mastodon import Mastodon

BASE = sys.argv[1].rstrip("/")
IMAGE = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
MEDIA_URL = sys.argv[3].rstrip("/") if len(sys.argv) > 3 and sys.argv[3] else None
PASSWORD = "a good password"
SCOPES = ["read", "write", "follow", "push"]


def step(text):
    print("ok:", text, flush=True)


# 1. Discovery: the version parses and the instance answers.
anon = Mastodon(api_base_url=BASE, version_check_mode="none")
inst = anon.instance()
assert inst["version"].startswith("4."), inst["version"]
assert Mastodon(api_base_url=BASE).retrieve_mastodon_version().startswith("4.")
step("instance " + inst["version"])

# 2. Register an app; password grant for alice.
client_id, client_secret = Mastodon.create_app(
    "rookery-e2e", api_base_url=BASE, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
)
alice = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
alice.log_in("alice@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
me = alice.account_verify_credentials()
assert me["username"] == "alice", me
step("password grant, verify_credentials")

# 2b. Signing up from the library (open registrations, no mail: usable at once), then log_in.
newcomer = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
token = newcomer.create_account(
    "pyjoiner", PASSWORD, "pyjoiner@example.com", agreement=True, locale="en", scopes=SCOPES
)
assert token, token
assert newcomer.account_verify_credentials()["username"] == "pyjoiner"
again = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
again.log_in("pyjoiner@example.com", PASSWORD, scopes=SCOPES, allow_http=True)
assert again.account_verify_credentials()["username"] == "pyjoiner"
step("create_account, then log_in")

# 3. Authorization code for bob, through the real sign-in and consent forms.
bob = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
url = bob.auth_request_url(scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob", allow_http=True)
session = requests.Session()
page = session.get(url)
page.raise_for_status()


def hidden(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    assert m, (name, html)
    return m.group(1).replace("&amp;", "&").replace("&quot;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")


fields = {k: hidden(page.text, k) for k in
          ["response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
           "code_challenge_method", "csrf"]}
fields.update({"login": "bob@example.com", "password": PASSWORD})
consent = session.post(BASE + "/oauth/authorize", data=fields)
consent.raise_for_status()
decision = session.post(BASE + "/oauth/authorize/decision", data={
    "ticket": hidden(consent.text, "ticket"), "csrf": hidden(consent.text, "csrf"), "decision": "approve",
})
decision.raise_for_status()
code = re.search(r'id="code" value="([^"]+)"', decision.text).group(1)
bob.log_in(code=code, redirect_uri="urn:ietf:wg:oauth:2.0:oob", scopes=SCOPES, allow_http=True)
assert bob.account_verify_credentials()["username"] == "bob"
step("authorization code through the sign-in form")

# 4. Follow, post, reply; bob's home timeline fills through fan-out.
alice_account = bob.account_lookup("alice")
rel = bob.account_follow(alice_account["id"])
assert rel["following"], rel
assert bob.account_relationships([alice_account["id"]])[0]["following"]
step("follow")

posted = [alice.status_post("post %d from Mastodon.py" % i) for i in range(5)]
reply = bob.status_post("@alice nice", in_reply_to_id=posted[-1]["id"])
assert reply["in_reply_to_id"] == posted[-1]["id"], reply
mention = alice.status_post("hello @bob", visibility="unlisted")
private = alice.status_post("followers only", visibility="private")
step("status_post, reply, visibilities")

import time
deadline = time.time() + 10
while True:
    home = bob.timeline_home(limit=2)
    ids = [s["id"] for s in home]
    if ids and ids[0] == private["id"]:
        break
    assert time.time() < deadline, ids
    time.sleep(0.1)
step("home timeline")

# 5. Paginate with the library's own helpers (Link headers).
seen = []
page = bob.timeline_home(limit=2)
while page and len(seen) < 20:
    seen.extend(s["id"] for s in page)
    page = bob.fetch_next(page)
expected = [private["id"], mention["id"], reply["id"]] + [s["id"] for s in reversed(posted)]
assert seen == expected, (seen, expected)
newest_page = bob.timeline_home(limit=2, max_id=posted[2]["id"])
assert [s["id"] for s in newest_page] == [posted[1]["id"], posted[0]["id"]]
prev = bob.fetch_previous(newest_page)
assert [s["id"] for s in prev] == [posted[3]["id"], posted[2]["id"]], [s["id"] for s in prev]
step("fetch_next / fetch_previous")

# 6. Statuses: get, context, account statuses, public timeline.
assert bob.status(private["id"])["content"] == "<p>followers only</p>"
ctx = alice.status_context(reply["id"])
assert ctx["ancestors"][0]["id"] == posted[-1]["id"]
assert posted[-1]["id"] in [s["id"] for s in anon.timeline_public(local=True, limit=40)]
assert private["id"] not in [s["id"] for s in anon.account_statuses(alice_account["id"], limit=40)]
assert private["id"] in [s["id"] for s in bob.account_statuses(alice_account["id"], limit=40)]
step("status, context, account_statuses")

# 7. Notifications: bob was mentioned, alice was followed and replied to.
deadline = time.time() + 10
while True:
    notes = bob.notifications()
    if any(n["type"] == "mention" for n in notes):
        break
    assert time.time() < deadline, notes
    time.sleep(0.1)
assert any(n["type"] == "follow" for n in alice.notifications())
only_follows = alice.notifications(types=["follow"])
assert all(n["type"] == "follow" for n in only_follows) and only_follows
step("notifications")

# 8. Favourite, boost, bookmark.
fav = bob.status_favourite(posted[1]["id"])
assert fav["favourited"] and fav["favourites_count"] == 1, fav
assert [a["username"] for a in alice.status_favourited_by(posted[1]["id"])] == ["bob"]
boost = bob.status_reblog(posted[1]["id"])
assert boost["reblog"]["id"] == posted[1]["id"] and boost["reblogged"], boost
assert bob.status_bookmark(posted[1]["id"])["bookmarked"]
assert [s["id"] for s in bob.favourites()] == [posted[1]["id"]]
assert [s["id"] for s in bob.bookmarks()] == [posted[1]["id"]]
assert not bob.status_unreblog(posted[1]["id"])["reblogged"]
assert not bob.status_unfavourite(posted[1]["id"])["favourited"]
deadline = time.time() + 10
while not any(n["type"] == "favourite" for n in alice.notifications()):
    assert time.time() < deadline
    time.sleep(0.1)
step("favourite, reblog, bookmark")

# 9. Delete returns the source for redrafting; the status is gone.
deleted = alice.status_delete(posted[0]["id"])
assert deleted["text"] == "post 0 from Mastodon.py", deleted
try:
    bob.status(posted[0]["id"])
    raise AssertionError("deleted status still visible")
except Exception as e:  # MastodonNotFoundError
    assert "404" in str(e) or "not found" in str(e).lower(), e
step("status_delete")

# 10. Streaming (server-sent events): bob's user stream hears a mention, its notification,
# an edit and the deletion.
from mastodon import StreamListener


class Collect(StreamListener):
    def __init__(self):
        self.events = []

    def on_update(self, status):
        self.events.append(("update", status))

    def on_notification(self, notification):
        self.events.append(("notification", notification))

    def on_status_update(self, status):
        self.events.append(("status.update", status))

    def on_delete(self, status_id):
        self.events.append(("delete", str(status_id)))


def wait_event(listener, kind, match, what):
    deadline = time.time() + 10
    while True:
        for k, v in listener.events:
            if k == kind and match(v):
                return v
        assert time.time() < deadline, (what, listener.events)
        time.sleep(0.05)


assert bob.stream_healthy()
listener = Collect()
handle = bob.stream_user(listener, run_async=True, reconnect_async=False)
deadline = time.time() + 10
while not handle.is_receiving():
    assert time.time() < deadline, "stream did not start"
    time.sleep(0.05)
live = alice.status_post("streaming to @bob")
wait_event(listener, "update", lambda s: s["id"] == live["id"], "update")
note = wait_event(listener, "notification", lambda n: n["status"]["id"] == live["id"], "notification")
assert note["type"] == "mention" and note["account"]["username"] == "alice", note
alice.status_update(live["id"], "streaming to @bob, edited")
edited = wait_event(listener, "status.update", lambda s: s["id"] == live["id"], "status.update")
assert "edited" in edited["content"], edited
alice.status_delete(live["id"])
wait_event(listener, "delete", lambda i: i == str(live["id"]), "delete")
handle.close()
step("stream_user: update, notification, status.update, delete")

# 11. Media: a real JPEG through /api/v2/media (processed in the media queue), posted in a
# status; the file is fetched from where the server says it is.
if IMAGE is None:
    IMAGE = os.path.join(tempfile.mkdtemp(prefix="rookery-e2e-"), "card.jpg")
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", "testsrc=size=320x240", "-frames:v", "1", IMAGE], check=True)
DESCRIPTION = "A test card, uploaded by Mastodon.py"
media = alice.media_post(IMAGE, mime_type="image/jpeg", description=DESCRIPTION, synchronous=True)
assert media["type"] == "image" and media["url"], media
assert media["description"] == DESCRIPTION, media
assert media["meta"]["original"]["width"] == 320 and media["meta"]["original"]["height"] == 240, media
with_media = alice.status_post("a picture from Mastodon.py", media_ids=[media])
attachments = with_media["media_attachments"]
assert len(attachments) == 1, attachments
attachment = attachments[0]
assert attachment["id"] == media["id"], (attachment, media)
assert attachment["type"] == "image", attachment
assert attachment["description"] == DESCRIPTION, attachment
assert attachment["url"] == media["url"], (attachment, media)
for url in (attachment["url"], attachment["preview_url"]):
    if MEDIA_URL is not None:
        assert url.startswith(MEDIA_URL + "/"), (url, MEDIA_URL)
    response = requests.get(url, timeout=30)
    response.raise_for_status()
    assert response.content[:3] == b"\xff\xd8\xff", (url, response.content[:16])
    assert response.headers["content-type"] == "image/jpeg", (url, response.headers)
assert bob.status(with_media["id"])["media_attachments"][0]["url"] == attachment["url"]
step("media_post, status_post with media_ids, the file fetched")

# 12. Lists: created, filled, read as a timeline and as a stream, changed, emptied, deleted.
friends = bob.list_create("Friends", replies_policy="list", exclusive=False)
assert friends["title"] == "Friends" and friends["replies_policy"] == "list", friends
assert friends["exclusive"] is False, friends
bob.list_accounts_add(friends, [alice_account["id"]])
assert [a["id"] for a in bob.list_accounts(friends)] == [alice_account["id"]]
assert friends["id"] in [l["id"] for l in bob.lists()]
assert [l["id"] for l in bob.account_lists(alice_account["id"])] == [friends["id"]]
list_listener = Collect()
handle = bob.stream_list(friends["id"], list_listener, run_async=True, reconnect_async=False)
deadline = time.time() + 10
while not handle.is_receiving():
    assert time.time() < deadline, "list stream did not start"
    time.sleep(0.05)
listed = alice.status_post("for bob's list")
wait_event(list_listener, "update", lambda s: s["id"] == listed["id"], "list update")
handle.close()
assert bob.timeline_list(friends)[0]["id"] == listed["id"]
changed = bob.list_update(friends, "Close friends", replies_policy="followed", exclusive=True)
assert changed["title"] == "Close friends" and changed["exclusive"] is True, changed
bob.list_accounts_delete(friends, [alice_account["id"]])
assert list(bob.list_accounts(friends)) == []
bob.list_delete(friends)
assert friends["id"] not in [l["id"] for l in bob.lists()]
step("lists: create, accounts, timeline_list, stream_list, update, delete")

# 13. Grouped notifications, unread counts and markers, as Mastodon 4.3 apps use them.
bob.status_favourite(listed)
bob.status_reblog(listed)
deadline = time.time() + 10
while True:
    grouped = alice.grouped_notifications(expand_accounts="full")
    # Newest group of each kind: bob favourited and boosted an earlier post too (step 9).
    kinds = {}
    for g in grouped["notification_groups"]:
        if str(g.get("status_id")) == str(listed["id"]):
            kinds.setdefault(g["type"], g)
    if "favourite" in kinds and "reblog" in kinds:
        break
    assert time.time() < deadline, grouped
    time.sleep(0.1)
fav = kinds["favourite"]
bob_id = bob.account_verify_credentials()["id"]
# Mastodon.py reads ids in groups as strings and in entities as numbers.
assert [str(a) for a in fav["sample_account_ids"]] == [str(bob_id)], (fav, bob_id)
assert fav["notifications_count"] == 1, fav
assert any(str(a["id"]) == str(bob_id) for a in grouped["accounts"]), grouped["accounts"]
assert any(str(st["id"]) == str(listed["id"]) for st in grouped["statuses"]), grouped["statuses"]
one = alice.grouped_notification(fav["group_key"])
assert one["notification_groups"][0]["group_key"] == fav["group_key"], one
assert [a["username"] for a in alice.grouped_notification_accounts(fav["group_key"])] == ["bob"]
partial = alice.grouped_notifications()  # Mastodon.py asks for partial avatars by default
assert "partial_accounts" in partial, partial.keys()
assert alice.notifications_unread_count()["count"] >= 2
newest = alice.notifications(limit=1)[0]
alice.markers_set("notifications", newest["id"])
marker = alice.markers_get("notifications")["notifications"]
assert str(marker["last_read_id"]) == str(newest["id"]), (marker, newest["id"])
assert alice.notifications_unread_count()["count"] == 0
assert alice.unread_grouped_notifications_count() == 0
alice.dismiss_grouped_notification(fav["group_key"])
after = alice.grouped_notifications()
assert fav["group_key"] not in [g["group_key"] for g in after["notification_groups"]], after
step("grouped_notifications, grouped_notification(_accounts), markers, unread counts, dismiss")

# 14. Posting defaults: stored, returned, applied.
me = alice.account_update_credentials(default_privacy="unlisted", default_language="de")
assert me["source"]["privacy"] == "unlisted" and me["source"]["language"] == "de", me["source"]
prefs = alice.preferences()
assert prefs["posting:default:visibility"] == "unlisted", prefs
defaulted = alice.status_post("with my defaults")
assert defaulted["visibility"] == "unlisted" and defaulted["language"] == "de", defaulted
alice.account_update_credentials(default_privacy="public")
step("update_credentials source defaults, preferences, applied to status_post")

# 15. Notification policy and requests: a private mention from someone alice does not follow
# waits as a request until accepted; then it is among her notifications.
policy = alice.notifications_policy()
assert policy["for_private_mentions"] == "filter", policy
policy = alice.update_notifications_policy(for_not_followers="accept")
assert policy["for_not_followers"] == "accept", policy
whisper = bob.status_post("@alice just between us", visibility="direct")
deadline = time.time() + 10
while True:
    requests = alice.notification_requests()
    if requests:
        break
    assert time.time() < deadline, "no notification request"
    time.sleep(0.1)
request = requests[0]
assert request["account"]["username"] == "bob", request
assert str(request["notifications_count"]) == "1", request
assert str(request["last_status"]["id"]) == str(whisper["id"]), request
assert str(alice.notification_request(request)["id"]) == str(request["id"])
assert alice.notifications_policy()["summary"]["pending_requests_count"] == 1
assert whisper["id"] not in [n["status"]["id"] for n in alice.notifications(types=["mention"])]
alice.accept_notification_request(request)
assert alice.notifications_merged() is True
assert whisper["id"] in [n["status"]["id"] for n in alice.notifications(types=["mention"])]
assert list(alice.notification_requests()) == []
step("notifications_policy, update_notifications_policy, notification_requests, accept, merged")

# 16. Filters: a warning, then hiding, on bob's home timeline and user stream.
kiwi = bob.create_filter_v2("Fruit", ["home", "public"], filter_action="warn",
                            keywords_attributes=[{"keyword": "kiwi", "whole_word": True}])
assert kiwi["filter_action"] == "warn" and kiwi["keywords"][0]["keyword"] == "kiwi", kiwi
assert [f["id"] for f in bob.filters_v2()] == [kiwi["id"]]
listener = Collect()
handle = bob.stream_user(listener, run_async=True, reconnect_async=False)
deadline = time.time() + 10
while not handle.is_receiving():
    assert time.time() < deadline, "stream did not start"
    time.sleep(0.05)
warned = alice.status_post("a kiwi for everyone")
streamed = wait_event(listener, "update", lambda s: s["id"] == warned["id"], "filtered update")
assert streamed["filtered"][0]["filter"]["title"] == "Fruit", streamed["filtered"]
assert streamed["filtered"][0]["keyword_matches"] == ["kiwi"], streamed["filtered"]
deadline = time.time() + 10
while True:
    home = bob.timeline_home(limit=5)
    if home and home[0]["id"] == warned["id"]:
        break
    assert time.time() < deadline, [st["id"] for st in home]
    time.sleep(0.1)
assert home[0]["filtered"][0]["filter"]["id"] == kiwi["id"], home[0]["filtered"]
bob.update_filter_v2(kiwi, filter_action="hide")
hidden = alice.status_post("another kiwi")
after = alice.status_post("no fruit here")
wait_event(listener, "update", lambda s: s["id"] == after["id"], "the next update")
assert not [s for k, s in listener.events if k == "update" and s["id"] == hidden["id"]], "hidden status streamed"
handle.close()
home_ids = [st["id"] for st in bob.timeline_home(limit=10)]
assert after["id"] in home_ids and hidden["id"] not in home_ids and warned["id"] not in home_ids, home_ids
v1 = bob.filters()
assert [f["phrase"] for f in v1] == ["kiwi"], v1
bob.delete_filter_v2(kiwi)
assert list(bob.filters_v2()) == []
step("create_filter_v2, filters_v2, filtered on home and stream, update_filter_v2 hide, filters (v1), delete")

# 17. Unfollow; revoke.
assert not bob.account_unfollow(alice_account["id"])["following"]
bob.revoke_access_token(allow_http=True)
try:
    bob.account_verify_credentials()
    raise AssertionError("revoked token still works")
except Exception as e:
    assert "401" in str(e) or "invalid" in str(e).lower(), e
step("unfollow, revoke")
print("mastodon.py flow passed")
