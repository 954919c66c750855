"""End-to-end flow with Mastodon.py against a running Rookery: polls, markers, conversations,
followed tags, scheduled posts and preview cards.

Usage: mastodon_py_flow_more.py BASE_URL IMAGE
Expects local accounts alice and bob (e-mail USER@example.com, password "a good password"),
who do not follow each other. IMAGE is a JPEG, served by this script as the image of the page
a link points to; the instance must be allowed to fetch from loopback
(`federation.allow_private_addresses`).
Where time must pass (a poll's end, a scheduled post's time), the script prints
`rookery-e2e: end polls` or `rookery-e2e: publish scheduled statuses` and waits: the runner then
moves those times to now in the database, and the server's jobs do the rest.
Prints one line per step; exits non-zero (with a traceback) on the first failure.
"""

import http.server
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import requests
from mastodon import Mastodon, MastodonAPIError

BASE = sys.argv[1].rstrip("/")
IMAGE = sys.argv[2]
PASSWORD = "a good password"
SCOPES = ["read", "write", "follow", "push"]


def step(text):
    print("ok:", text, flush=True)


def ask(request):
    print("rookery-e2e:", request, flush=True)


def until(what, probe, seconds=15):
    """Calls `probe` until it returns something truthy; returns that."""
    deadline = time.time() + seconds
    while True:
        found = probe()
        if found:
            return found
        assert time.time() < deadline, what
        time.sleep(0.1)


def rejected(call, status):
    try:
        call()
    except MastodonAPIError as e:
        assert e.args[1] == status, e.args
        return
    raise AssertionError("accepted, expected HTTP %d" % status)


# 1. Two users of one app (password grant).
client_id, client_secret = Mastodon.create_app(
    "rookery-e2e-more", api_base_url=BASE, scopes=SCOPES, redirect_uris="urn:ietf:wg:oauth:2.0:oob"
)


def login(user):
    m = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=BASE)
    m.log_in("%s@example.com" % user, PASSWORD, scopes=SCOPES, allow_http=True)
    assert m.account_verify_credentials()["username"] == user
    return m


alice = login("alice")
bob = login("bob")
alice_id = alice.account_verify_credentials()["id"]
bob_id = bob.account_verify_credentials()["id"]
step("password grant for alice and bob")

# 2. Polls: made with a status, read, voted in (once; several choices in a multiple one).
posted = alice.status_post("Tea or coffee?", poll=alice.make_poll(["tea", "coffee", "water"], expires_in=300))
poll = posted["poll"]
assert [o["title"] for o in poll["options"]] == ["tea", "coffee", "water"], poll
assert [o["votes_count"] for o in poll["options"]] == [0, 0, 0], poll
assert poll["expired"] is False and poll["multiple"] is False and poll["votes_count"] == 0, poll
left = (poll["expires_at"] - datetime.now(timezone.utc)).total_seconds()
assert 240 < left <= 300, poll["expires_at"]
assert poll["voted"] is True and poll["own_votes"] == [], poll  # the author counts as voted
seen = bob.poll(poll["id"])
assert seen["voted"] is False and seen["own_votes"] == [], seen
voted = bob.poll_vote(poll["id"], 1)
assert voted["voted"] is True and voted["own_votes"] == [1], voted
assert [o["votes_count"] for o in voted["options"]] == [0, 1, 0] and voted["votes_count"] == 1, voted
rejected(lambda: bob.poll_vote(poll["id"], 2), 422)
assert bob.status(posted["id"])["poll"]["own_votes"] == [1]
hidden = alice.status_post("Which fruit? Pick any.", poll=alice.make_poll(
    ["apple", "pear", "plum"], expires_in=300, multiple=True, hide_totals=True))["poll"]
assert hidden["multiple"] is True, hidden
several = bob.poll_vote(hidden, [0, 2])
assert sorted(several["own_votes"]) == [0, 2], several
assert several["votes_count"] == 2 and several["voters_count"] == 1, several
assert [o["votes_count"] for o in several["options"]] == [None, None, None], several  # hidden until the end
step("status_post with make_poll, poll, poll_vote (single, multiple, hide_totals)")

# 3. The polls end: results shown, voting refused, voter and author told (`poll`).
ask("end polls")
ended = until("the poll never ended", lambda: (lambda p: p if p["expired"] else None)(bob.poll(poll["id"])))
assert [o["votes_count"] for o in ended["options"]] == [0, 1, 0], ended
assert ended["expires_at"] <= datetime.now(timezone.utc) + timedelta(seconds=5), ended
shown = bob.poll(hidden["id"])
assert shown["expired"] is True and [o["votes_count"] for o in shown["options"]] == [1, 0, 1], shown
rejected(lambda: bob.poll_vote(hidden["id"], 1), 422)


def poll_notes(user, status_id):
    return [n for n in user.notifications(types=["poll"]) if n["status"]["id"] == status_id]


for user in (alice, bob):
    note = until("no poll notification", lambda: poll_notes(user, posted["id"]))[0]
    assert note["type"] == "poll" and note["account"]["id"] == alice_id, note
    assert note["status"]["poll"]["expired"] is True, note["status"]["poll"]
assert poll_notes(bob, posted["id"])[0]["status"]["poll"]["own_votes"] == [1]
grouped = alice.grouped_notifications(types=["poll"])
assert {g["type"] for g in grouped["notification_groups"]} == {"poll"}, grouped
step("polls ended: expired, results, vote refused, poll notifications for voter and author")

# 4. Markers: home and notifications together, then home moved on.
home_top = alice.account_statuses(alice_id, limit=1)[0]
latest = bob.notifications(limit=1)[0]
markers = bob.markers_set(["home", "notifications"], [home_top["id"], latest["id"]])
assert str(markers["home"]["last_read_id"]) == str(home_top["id"]), markers
assert str(markers["notifications"]["last_read_id"]) == str(latest["id"]), markers
both = bob.markers_get(["home", "notifications"])
assert str(both["home"]["last_read_id"]) == str(home_top["id"]), both
assert str(both["notifications"]["last_read_id"]) == str(latest["id"]), both
first_version = both["home"]["version"]
bob.markers_set("home", posted["id"])
home = bob.markers_get("home")
assert list(home) == ["home"], home
assert str(home["home"]["last_read_id"]) == str(posted["id"]), home
assert home["home"]["version"] > first_version, (home, first_version)
assert isinstance(home["home"]["updated_at"], datetime), home
step("markers_set, markers_get (home, notifications)")

# 5. Conversations: a direct message, its reply in the same conversation, read and unread.
dm = alice.status_post("@bob a secret, just for you", visibility="direct")
assert dm["visibility"] == "direct", dm


def conversation(user, status_id):
    for c in user.conversations():
        if c["last_status"] and c["last_status"]["id"] == status_id:
            return c
    return None


theirs = until("no conversation for bob", lambda: conversation(bob, dm["id"]))
assert theirs["unread"] is True, theirs
assert [a["id"] for a in theirs["accounts"]] == [alice_id], theirs["accounts"]
mine = until("no conversation for alice", lambda: conversation(alice, dm["id"]))
assert mine["unread"] is False, mine
assert [a["id"] for a in mine["accounts"]] == [bob_id], mine["accounts"]
read = bob.conversations_read(theirs["id"])
assert read["id"] == theirs["id"] and read["unread"] is False, read
answer = bob.status_post("@alice safe with me", in_reply_to_id=dm["id"], visibility="direct")
again = until("the reply is not in alice's conversation", lambda: conversation(alice, answer["id"]))
assert again["id"] == mine["id"] and again["unread"] is True, (again, mine)
assert conversation(bob, answer["id"])["id"] == theirs["id"]
assert dm["id"] not in [s["id"] for s in bob.timeline_public(limit=40)]
step("direct status_post, conversations, conversations_read, reply in the same conversation")

# 6. Followed tags: bob follows a hashtag; alice's tagged post (he does not follow her) reaches
# his home, her untagged one does not.
assert bob.account_relationships([alice_id])[0]["following"] is False
tag = bob.tag_follow("RookeryE2E")
assert tag["name"].lower() == "rookerye2e" and tag["following"] is True, tag
assert [t["name"].lower() for t in bob.followed_tags()] == ["rookerye2e"]
assert bob.tag("rookerye2e")["following"] is True
untagged = alice.status_post("nothing to see here")
tagged = alice.status_post("news about #RookeryE2E")
assert [t["name"].lower() for t in tagged["tags"]] == ["rookerye2e"], tagged["tags"]
home = until("the tagged post never reached bob's home",
             lambda: (lambda h: h if tagged["id"] in [s["id"] for s in h] else None)(bob.timeline_home(limit=40)))
assert untagged["id"] not in [s["id"] for s in home]
assert tagged["id"] in [s["id"] for s in bob.timeline_hashtag("RookeryE2E")]
unfollowed = bob.tag_unfollow("rookerye2e")
assert unfollowed["following"] is False, unfollowed
assert list(bob.followed_tags()) == []
step("tag_follow, followed_tags, a followed tag's post in home, tag_unfollow")

# 7. Scheduled posts: created, listed, read, moved, cancelled, published at their time.
soon = datetime.now(timezone.utc) + timedelta(minutes=10)
later = alice.status_post("written now, posted later", scheduled_at=soon, visibility="unlisted")
assert "id" in later and "params" in later and "content" not in later, later
assert abs((later["scheduled_at"] - soon).total_seconds()) < 1, (later["scheduled_at"], soon)
assert later["params"]["text"] == "written now, posted later", later["params"]
assert later["params"]["visibility"] == "unlisted", later["params"]
dropped = alice.status_post("never posted", scheduled_at=soon + timedelta(minutes=1))
assert [s["id"] for s in alice.scheduled_statuses()] == [dropped["id"], later["id"]]
assert alice.scheduled_status(later["id"])["params"]["text"] == later["params"]["text"]
rejected(lambda: alice.scheduled_status_update(later["id"], datetime.now(timezone.utc) + timedelta(minutes=1)), 422)
moved_to = soon + timedelta(minutes=20)
moved = alice.scheduled_status_update(later["id"], moved_to)
assert moved["id"] == later["id"], moved
assert abs((moved["scheduled_at"] - moved_to).total_seconds()) < 1, (moved["scheduled_at"], moved_to)
alice.scheduled_status_delete(dropped["id"])
assert [s["id"] for s in alice.scheduled_statuses()] == [later["id"]]
assert "written now" not in " ".join(s["content"] for s in alice.account_statuses(alice_id, limit=40))
ask("publish scheduled statuses")
until("the scheduled status was never published", lambda: list(alice.scheduled_statuses()) == [])
out = [s for s in alice.account_statuses(alice_id, limit=40) if "written now, posted later" in s["content"]]
assert len(out) == 1, out
assert out[0]["visibility"] == "unlisted", out[0]
assert not [s for s in alice.account_statuses(alice_id, limit=40) if "never posted" in s["content"]]
rejected(lambda: alice.scheduled_status(dropped["id"]), 404)
step("status_post(scheduled_at), scheduled_statuses, scheduled_status_update, delete, published")

# 8. Preview cards: a post linking a page with OpenGraph facts gets a card, image included.
with open(IMAGE, "rb") as f:
    JPEG = f.read()
PAGE = b"""<!doctype html><html lang="en"><head><title>Fallback title</title>
<meta property="og:title" content="Rookery flows, tested">
<meta property="og:description" content="Real clients against the real server.">
<meta property="og:site_name" content="E2E News">
<meta property="og:image" content="/picture.jpg">
</head><body><p>The article.</p></body></html>"""


class Site(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body, kind = {"/article": (PAGE, "text/html; charset=utf-8"),
                      "/picture.jpg": (JPEG, "image/jpeg")}.get(self.path, (None, None))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Site)
threading.Thread(target=site.serve_forever, daemon=True).start()
link = "http://127.0.0.1:%d/article" % site.server_address[1]
linked = alice.status_post("Worth a read: " + link)
assert linked["card"] is None or linked["card"]["url"] == link, linked["card"]
card = until("no card with its image",
             lambda: (lambda c: c if c and c["image"] else None)(alice.status(linked["id"])["card"]))
assert card["url"] == link and card["type"] == "link", card
assert card["title"] == "Rookery flows, tested", card
assert card["description"] == "Real clients against the real server.", card
assert card["provider_name"] == "E2E News", card
assert card["width"] == 320 and card["height"] == 240, card
picture = requests.get(card["image"], timeout=30)
picture.raise_for_status()
assert picture.headers["content-type"].startswith("image/"), picture.headers
assert bob.status_card(linked["id"])["url"] == link
site.shutdown()
step("a link's preview card (title, description, provider, image) on the status, status_card")
print("mastodon.py more flow passed")
