"""Realistic webhook bodies for the benchmarks: generated, deterministic, shaped like what senders post.

Each shape is one template (built once from a fixed seed, with the nesting and field counts of the sender's real
payloads) whose `@@UNIQUE@@` markers are replaced by a 12-digit counter, so that `body(shape, i)` gives distinct
deliveries cheaply. `signed(shape, i, secret)` gives the headers the sender would send with it.

  python3 Benchmarks/corpus.py DIR    writes DIR/<shape>.json (one body each) for the micro-benchmarks

Shapes (sizes as generated):
  seed-600           the seed envelope with a padded title (today's scripts/bench body), netflix adapter
  media-nested       a 0.5 KB nested media payload in the seed envelope, generic adapter
  github-push        a GitHub `push` (repository, pusher, sender, 1 commit and head_commit), ~7.4 KB
  github-pr          a GitHub `pull_request` (the pull request, head and base repositories, links), ~19 KB
  stripe-invoice     a Stripe `invoice.paid` event (the invoice with 2 lines, status transitions), ~4 KB
  shopify-order      a Shopify `orders/create` (customer, addresses, 3 line items with tax lines and price sets), ~9 KB
  push-seed          the GitHub push as the payload of the seed envelope, netflix adapter (its declared schema)
  push-gzip          the GitHub push sent with Content-Encoding: gzip (signed decoded, as GitHub would)
"""
import base64, gzip, hashlib, hmac, json, os, random, sys

UNIQUE = "@@UNIQUE@@"


def _hex(r, n):
    return "".join(r.choice("0123456789abcdef") for _ in range(n))


def _user(r, login):
    uid = r.randrange(10**6, 10**8)
    base = f"https://api.github.com/users/{login}"
    return {"login": login, "id": uid, "node_id": "MDQ6VXNlcj" + _hex(r, 8), "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "", "url": base, "html_url": f"https://github.com/{login}", "followers_url": base + "/followers",
            "following_url": base + "/following{/other_user}", "gists_url": base + "/gists{/gist_id}",
            "starred_url": base + "/starred{/owner}{/repo}", "subscriptions_url": base + "/subscriptions",
            "organizations_url": base + "/orgs", "repos_url": base + "/repos", "events_url": base + "/events{/privacy}",
            "received_events_url": base + "/received_events", "type": "User", "user_view_type": "public", "site_admin": False}


def _repository(r, owner, name, full=True):
    full_name = f"{owner['login']}/{name}"
    api = f"https://api.github.com/repos/{full_name}"
    repo = {"id": r.randrange(10**8, 10**9), "node_id": "R_kgDO" + _hex(r, 8), "name": name, "full_name": full_name, "private": False,
            "owner": owner, "html_url": f"https://github.com/{full_name}", "description": "A webhook gateway's test repository: "
            + UNIQUE, "fork": False, "url": api, "forks_url": api + "/forks", "keys_url": api + "/keys{/key_id}",
            "collaborators_url": api + "/collaborators{/collaborator}", "teams_url": api + "/teams", "hooks_url": api + "/hooks",
            "issue_events_url": api + "/issues/events{/number}", "events_url": api + "/events", "assignees_url": api + "/assignees{/user}",
            "branches_url": api + "/branches{/branch}", "tags_url": api + "/tags", "blobs_url": api + "/git/blobs{/sha}",
            "git_tags_url": api + "/git/tags{/sha}", "git_refs_url": api + "/git/refs{/sha}", "trees_url": api + "/git/trees{/sha}",
            "statuses_url": api + "/statuses/{sha}", "languages_url": api + "/languages", "stargazers_url": api + "/stargazers",
            "contributors_url": api + "/contributors", "subscribers_url": api + "/subscribers", "subscription_url": api + "/subscription",
            "commits_url": api + "/commits{/sha}", "git_commits_url": api + "/git/commits{/sha}", "comments_url": api + "/comments{/number}",
            "issue_comment_url": api + "/issues/comments{/number}", "contents_url": api + "/contents/{+path}",
            "compare_url": api + "/compare/{base}...{head}", "merges_url": api + "/merges", "archive_url": api + "/{archive_format}{/ref}",
            "downloads_url": api + "/downloads", "issues_url": api + "/issues{/number}", "pulls_url": api + "/pulls{/number}",
            "milestones_url": api + "/milestones{/number}", "notifications_url": api + "/notifications{?since,all,participating}",
            "labels_url": api + "/labels{/name}", "releases_url": api + "/releases{/id}", "deployments_url": api + "/deployments",
            "created_at": 1700000000 + r.randrange(10**7), "updated_at": "2026-11-30T12:00:00Z", "pushed_at": 1764979200,
            "git_url": f"git://github.com/{full_name}.git", "ssh_url": f"git@github.com:{full_name}.git",
            "clone_url": f"https://github.com/{full_name}.git", "svn_url": f"https://github.com/{full_name}", "homepage": None,
            "size": r.randrange(100, 90000), "stargazers_count": r.randrange(0, 5000), "watchers_count": r.randrange(0, 5000),
            "language": "Swift", "has_issues": True, "has_projects": True, "has_downloads": True, "has_wiki": False,
            "has_pages": False, "has_discussions": False, "forks_count": r.randrange(0, 300), "mirror_url": None, "archived": False,
            "disabled": False, "open_issues_count": r.randrange(0, 80), "license": {"key": "apache-2.0", "name": "Apache License 2.0",
            "spdx_id": "Apache-2.0", "url": "https://api.github.com/licenses/apache-2.0", "node_id": "MDc6TGljZW5zZTI="},
            "allow_forking": True, "is_template": False, "web_commit_signoff_required": False, "topics": ["webhooks", "swift", "gateway"],
            "visibility": "public", "forks": 12, "open_issues": 7, "watchers": 140, "default_branch": "main"}
    if not full:
        for key in [k for k in repo if k.endswith("_url") and k not in ("html_url", "clone_url")][:20]:
            del repo[key]
    return repo


def _commit(r, full_name, author):
    sha = _hex(r, 40)
    person = {"name": author["login"].title(), "email": f"{author['login']}@example.com", "username": author["login"]}
    files = [f"Sources/Hookbay/{r.choice(['Receiving', 'Queue', 'Admission', 'Verification'])}/{w}.swift"
             for w in r.sample(["WebhookReceiver", "RateLimiter", "SignatureVerifier", "ContentDecoding", "RedisQueue", "TokenBucket",
                                "EventIdentity", "FormBody"], 4)]
    return {"id": sha, "tree_id": _hex(r, 40), "distinct": True,
            "message": "Receive: bound every buffer per connection\n\nA silent client costs its own connection. " + UNIQUE,
            "timestamp": "2026-12-04T10:11:12+01:00", "url": f"https://github.com/{full_name}/commit/{sha}",
            "author": person, "committer": person, "added": files[:1], "removed": [], "modified": files[1:]}


def github_push(r):
    owner = _user(r, "hookbay-dev")
    repo = _repository(r, owner, "gateway")
    repo["owner"] = {"name": "hookbay-dev", "email": "dev@example.com", **{k: owner[k] for k in ("login", "id", "node_id", "avatar_url", "url", "html_url", "type", "site_admin")}}
    commits = [_commit(r, repo["full_name"], owner) for _ in range(1)]
    return {"ref": "refs/heads/main", "before": _hex(r, 40), "after": commits[-1]["id"], "repository": repo,
            "pusher": {"name": "hookbay-dev", "email": "dev@example.com"}, "sender": owner, "created": False, "deleted": False,
            "forced": False, "base_ref": None, "compare": f"https://github.com/{repo['full_name']}/compare/{commits[0]['id'][:12]}...{commits[-1]['id'][:12]}",
            "commits": commits, "head_commit": commits[-1]}


def github_pr(r):
    owner, author = _user(r, "hookbay-dev"), _user(r, "contributor")
    base_repo, head_repo = _repository(r, owner, "gateway"), _repository(r, author, "gateway")
    number = r.randrange(100, 999)
    api = f"https://api.github.com/repos/{base_repo['full_name']}"
    pr = {"url": f"{api}/pulls/{number}", "id": r.randrange(10**9, 10**10), "node_id": "PR_kwDO" + _hex(r, 10),
          "html_url": f"https://github.com/{base_repo['full_name']}/pull/{number}", "diff_url": f"https://github.com/{base_repo['full_name']}/pull/{number}.diff",
          "patch_url": f"https://github.com/{base_repo['full_name']}/pull/{number}.patch", "issue_url": f"{api}/issues/{number}",
          "number": number, "state": "open", "locked": False, "title": "Bound the per-connection buffers " + UNIQUE, "user": author,
          "body": "This bounds what a connection may hold.\r\n\r\n- a slow reader is closed\r\n- metrics count it\r\n" * 3,
          "created_at": "2026-12-04T09:00:00Z", "updated_at": "2026-12-04T09:00:00Z", "closed_at": None, "merged_at": None,
          "merge_commit_sha": None, "assignee": None, "assignees": [], "requested_reviewers": [owner], "requested_teams": [],
          "labels": [{"id": r.randrange(10**9), "node_id": "LA_" + _hex(r, 10), "url": f"{api}/labels/hardening", "name": "hardening",
                      "color": "d73a4a", "default": False, "description": "Survive the internet"}],
          "milestone": None, "draft": False, "commits_url": f"{api}/pulls/{number}/commits", "review_comments_url": f"{api}/pulls/{number}/comments",
          "review_comment_url": f"{api}/pulls/comments{{/number}}", "comments_url": f"{api}/issues/{number}/comments",
          "statuses_url": f"{api}/statuses/{_hex(r, 40)}",
          "head": {"label": "contributor:bounds", "ref": "bounds", "sha": _hex(r, 40), "user": author, "repo": head_repo},
          "base": {"label": "hookbay-dev:main", "ref": "main", "sha": _hex(r, 40), "user": owner, "repo": base_repo},
          "_links": {k: {"href": f"{api}/{k}"} for k in ("self", "html", "issue", "comments", "review_comments", "review_comment", "commits", "statuses")},
          "author_association": "CONTRIBUTOR", "auto_merge": None, "active_lock_reason": None, "merged": False, "mergeable": None,
          "rebaseable": None, "mergeable_state": "unknown", "merged_by": None, "comments": 0, "review_comments": 0,
          "maintainer_can_modify": True, "commits": 3, "additions": 120, "deletions": 14, "changed_files": 5}
    return {"action": "opened", "number": number, "pull_request": pr, "repository": base_repo, "sender": author}


def stripe_invoice(r):
    def line(i):
        return {"id": "il_" + _hex(r, 24), "object": "line_item", "amount": 2000 * (i + 1), "amount_excluding_tax": 2000 * (i + 1),
                "currency": "usd", "description": f"1 × Gateway plan {i} (at $20.00 / month)", "discount_amounts": [],
                "discountable": True, "discounts": [], "invoice": "in_@@UNIQUE@@", "livemode": False, "metadata": {},
                "period": {"end": 1767571200, "start": 1764979200},
                "pricing": {"price_details": {"price": "price_" + _hex(r, 24), "product": "prod_" + _hex(r, 14)}, "type": "price_details",
                            "unit_amount_decimal": "2000"},
                "proration": False, "proration_details": {"credited_items": None}, "quantity": 1,
                "parent": {"subscription_item_details": {"subscription": "sub_" + _hex(r, 24), "subscription_item": "si_" + _hex(r, 14)},
                           "type": "subscription_item_details"},
                "taxes": [], "type": "subscription"}
    invoice = {"id": "in_@@UNIQUE@@", "object": "invoice", "account_country": "US", "account_name": "Hookbay, Inc.", "account_tax_ids": None,
               "amount_due": 6000, "amount_overpaid": 0, "amount_paid": 6000, "amount_remaining": 0, "amount_shipping": 0,
               "application": None, "attempt_count": 1, "attempted": True, "auto_advance": False, "automatic_tax": {
                   "disabled_reason": None, "enabled": False, "liability": None, "provider": None, "status": None},
               "billing_reason": "subscription_cycle", "collection_method": "charge_automatically", "created": 1764979200,
               "currency": "usd", "custom_fields": None, "customer": "cus_" + _hex(r, 14), "customer_address": None,
               "customer_email": "billing@example.com", "customer_name": "Example Streaming Co", "customer_phone": None,
               "customer_shipping": None, "customer_tax_exempt": "none", "customer_tax_ids": [], "default_payment_method": None,
               "default_source": None, "default_tax_rates": [], "description": None, "discounts": [], "due_date": None,
               "effective_at": 1764979260, "ending_balance": 0, "footer": None, "from_invoice": None,
               "hosted_invoice_url": "https://invoice.stripe.com/i/acct_" + _hex(r, 16) + "/test_" + _hex(r, 40),
               "invoice_pdf": "https://pay.stripe.com/invoice/acct_" + _hex(r, 16) + "/test_" + _hex(r, 40) + "/pdf?s=ap",
               "issuer": {"type": "self"}, "last_finalization_error": None, "latest_revision": None,
               "lines": {"object": "list", "data": [line(i) for i in range(2)], "has_more": False, "total_count": 2,
                         "url": "/v1/invoices/in_@@UNIQUE@@/lines"},
               "livemode": False, "metadata": {"order": "@@UNIQUE@@"}, "next_payment_attempt": None, "number": "HB-0001-@@UNIQUE@@",
               "on_behalf_of": None, "parent": {"quote_details": None, "subscription_details": {"metadata": {}, "subscription": "sub_" + _hex(r, 24)},
                                                "type": "subscription_details"},
               "payment_settings": {"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
               "period_end": 1764979200, "period_start": 1762387200, "post_payment_credit_notes_amount": 0,
               "pre_payment_credit_notes_amount": 0, "receipt_number": None, "rendering": None, "shipping_cost": None,
               "shipping_details": None, "starting_balance": 0, "statement_descriptor": None, "status": "paid",
               "status_transitions": {"finalized_at": 1764979260, "marked_uncollectible_at": None, "paid_at": 1764979262, "voided_at": None},
               "subtotal": 6000, "subtotal_excluding_tax": 6000, "test_clock": None, "total": 6000, "total_discount_amounts": [],
               "total_excluding_tax": 6000, "total_pretax_credit_amounts": [], "total_taxes": [], "webhooks_delivered_at": 1764979261}
    return {"id": "evt_@@UNIQUE@@", "object": "event", "api_version": "2025-09-30.clover", "created": 1764979262,
            "data": {"object": invoice}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": "invoice.paid"}


def shopify_order(r):
    def money(amount):
        return {"shop_money": {"amount": amount, "currency_code": "USD"}, "presentment_money": {"amount": amount, "currency_code": "USD"}}

    def address(kind):
        return {"first_name": "Ada", "address1": f"{r.randrange(1, 999)} {kind} Street", "phone": "555-625-1199", "city": "Ottawa",
                "zip": "K2P 1L4", "province": "Ontario", "country": "Canada", "last_name": "Lovelace", "address2": "", "company": None,
                "latitude": 45.41634, "longitude": -75.6868, "name": "Ada Lovelace", "country_code": "CA", "province_code": "ON"}

    def item(i):
        price = f"{r.randrange(5, 200)}.{r.randrange(0, 99):02d}"
        return {"id": r.randrange(10**12, 10**13), "admin_graphql_api_id": f"gid://shopify/LineItem/{r.randrange(10**12)}",
                "attributed_staffs": [], "current_quantity": 1, "fulfillable_quantity": 1, "fulfillment_service": "manual",
                "fulfillment_status": None, "gift_card": False, "grams": r.randrange(100, 2000), "name": f"Streaming box {i} - Black",
                "price": price, "price_set": money(price), "product_exists": True, "product_id": r.randrange(10**12, 10**13),
                "properties": [], "quantity": 1, "requires_shipping": True, "sku": f"SB-{i:03d}-BLK", "taxable": True,
                "title": f"Streaming box {i}", "total_discount": "0.00", "total_discount_set": money("0.00"),
                "variant_id": r.randrange(10**12, 10**13), "variant_inventory_management": "shopify", "variant_title": "Black",
                "vendor": "Hookbay Hardware", "tax_lines": [{"channel_liable": False, "price": "1.30", "price_set": money("1.30"),
                                                              "rate": 0.13, "title": "HST"}],
                "duties": [], "discount_allocations": []}

    customer = {"id": r.randrange(10**12, 10**13), "email": "ada@example.com", "created_at": "2026-01-05T10:00:00-05:00",
                "updated_at": "2026-12-04T10:00:00-05:00", "first_name": "Ada", "last_name": "Lovelace", "state": "enabled",
                "note": None, "verified_email": True, "multipass_identifier": None, "tax_exempt": False, "phone": None,
                "currency": "USD", "tax_exemptions": [], "admin_graphql_api_id": "gid://shopify/Customer/1",
                "default_address": {**address("Default"), "id": r.randrange(10**12), "customer_id": 1, "default": True}}
    return {"id": "@@UNIQUE@@", "admin_graphql_api_id": "gid://shopify/Order/@@UNIQUE@@", "app_id": r.randrange(10**6),
            "browser_ip": "203.0.113.7", "buyer_accepts_marketing": False, "cancel_reason": None, "cancelled_at": None,
            "cart_token": _hex(r, 32), "checkout_id": r.randrange(10**12), "checkout_token": _hex(r, 32),
            "client_details": {"accept_language": "en-CA", "browser_height": None, "browser_ip": "203.0.113.7", "browser_width": None,
                               "session_hash": None, "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"},
            "closed_at": None, "confirmation_number": "HBX" + _hex(r, 6).upper(), "confirmed": True, "contact_email": "ada@example.com",
            "created_at": "2026-12-04T10:11:12-05:00", "currency": "USD", "current_subtotal_price": "150.00",
            "current_subtotal_price_set": money("150.00"), "current_total_discounts": "0.00", "current_total_discounts_set": money("0.00"),
            "current_total_price": "169.50", "current_total_price_set": money("169.50"), "current_total_tax": "19.50",
            "current_total_tax_set": money("19.50"), "customer_locale": "en-CA", "discount_codes": [], "email": "ada@example.com",
            "estimated_taxes": False, "financial_status": "paid", "fulfillment_status": None, "landing_site": "/",
            "name": "#@@UNIQUE@@", "note": None, "note_attributes": [], "number": 1001, "order_number": 2001,
            "order_status_url": "https://shop.example.com/orders/" + _hex(r, 32) + "/authenticate?key=" + _hex(r, 32),
            "payment_gateway_names": ["shopify_payments"], "phone": None, "presentment_currency": "USD",
            "processed_at": "2026-12-04T10:11:12-05:00", "source_name": "web", "subtotal_price": "150.00", "subtotal_price_set": money("150.00"),
            "tags": "", "tax_exempt": False, "tax_lines": [{"price": "19.50", "rate": 0.13, "title": "HST", "price_set": money("19.50"),
                                                             "channel_liable": False}],
            "taxes_included": False, "test": False, "token": _hex(r, 32), "total_discounts": "0.00", "total_discounts_set": money("0.00"),
            "total_line_items_price": "150.00", "total_line_items_price_set": money("150.00"), "total_price": "169.50",
            "total_price_set": money("169.50"), "total_shipping_price_set": money("0.00"), "total_tax": "19.50",
            "total_tax_set": money("19.50"), "total_weight": 1200, "updated_at": "2026-12-04T10:11:12-05:00",
            "billing_address": address("Billing"), "customer": customer, "discount_applications": [], "fulfillments": [],
            "line_items": [item(i) for i in range(3)], "payment_terms": None, "refunds": [], "shipping_address": address("Shipping"),
            "shipping_lines": [{"id": r.randrange(10**12), "carrier_identifier": None, "code": "Standard", "discounted_price": "0.00",
                                "discounted_price_set": money("0.00"), "phone": None, "price": "0.00", "price_set": money("0.00"),
                                "source": "shopify", "title": "Standard", "tax_lines": [], "discount_allocations": []}]}


def seed_envelope(payload, event_type="content_updated", platform="bench"):
    return {"event_type": event_type, "platform": platform, "timestamp": "2025-12-06T00:00:00Z", "payload": payload}


def media_nested(r):
    return seed_envelope({"content_id": "media-@@UNIQUE@@", "title": "The Long Night", "content_type": "episode",
                          "series": {"id": "s-12", "season": 2, "episode": 7}, "regions": ["US", "DE", "FR"],
                          "ratings": [{"system": "MPAA", "value": "PG-13"}, {"system": "FSK", "value": "12"}],
                          "media": {"duration_s": 3120, "audio": ["en", "de"], "subtitles": ["en", "de", "fr"],
                                    "renditions": [{"height": 2160, "codec": "hevc"}, {"height": 1080, "codec": "avc"}]}},
                         platform="media")


def seed_600(r):
    return seed_envelope({"content_id": "bench-@@UNIQUE@@", "title": "Title @@UNIQUE@@ " + "x" * 420, "content_type": "movie",
                          "regions": ["US", "DE"]}, platform="bench")


def push_seed(r):
    payload = github_push(random.Random(7))
    payload["content_id"] = "push-@@UNIQUE@@"
    return seed_envelope(payload, platform="pushseed")


# shape -> (template builder, platform, scheme, adapter)
SHAPES = {
    "seed-600": (seed_600, "bench", "hmac-sha256", "netflix"),
    "media-nested": (media_nested, "media", "hmac-sha256", "generic"),
    "github-push": (github_push, "github", "github", "generic"),
    "github-pr": (github_pr, "github", "github", "generic"),
    "stripe-invoice": (stripe_invoice, "stripe", "stripe", "generic"),
    "shopify-order": (shopify_order, "shopify", "shopify", "generic"),
    "push-seed": (push_seed, "pushseed", "hmac-sha256", "netflix"),
    "push-gzip": (github_push, "githubgz", "github", "generic"),
}

# The platform files the shapes are posted to (generic adapter as integrators configure it; netflix: its schema).
PLATFORM_FILES = {
    "bench": "platform: bench\nadapter: netflix\nsecret_env: BENCH_SECRET\nrequired_fields: [content_id]\n",
    "media": "platform: media\nadapter: generic\nsecret_env: BENCH_SECRET\nadapter_config: { content_id: content_id, title: title, "
             "content_type: content_type, attributes: [regions, series.season] }\n",
    "pushseed": "platform: pushseed\nadapter: netflix\nsecret_env: BENCH_SECRET\nrequired_fields: [content_id]\n",
    "github": "platform: github\nadapter: generic\nsecret_env: BENCH_SECRET\nsignature: { scheme: github }\n"
              "adapter_config: { content_id: repository.full_name, title: repository.description, attributes: [action, sender.login] }\n"
              "envelope: { event_type: { header: X-GitHub-Event }, event_id: { header: X-GitHub-Delivery }, payload: { json: \"\" } }\n"
              "event_types: { push: content_updated, pull_request: content_updated }\n",
    "githubgz": "platform: githubgz\nadapter: generic\nsecret_env: BENCH_SECRET\nsignature: { scheme: github }\ncontent_encoding: gzip\n"
                "adapter_config: { content_id: repository.full_name, title: repository.description, attributes: [action, sender.login] }\n"
                "envelope: { event_type: { header: X-GitHub-Event }, event_id: { header: X-GitHub-Delivery }, payload: { json: \"\" } }\n"
                "event_types: { push: content_updated }\n",
    "stripe": "platform: stripe\nadapter: generic\nsecret_env: BENCH_SECRET\nsignature: { scheme: stripe, tolerance_seconds: 3600 }\n"
              "adapter_config: { content_id: data.object.id, title: data.object.customer_name, attributes: [data.object.status] }\n"
              "envelope: { event_type: { json: /type }, event_id: { json: /id }, payload: { json: \"\" }, timestamp: { json: /created } }\n"
              "event_types: { invoice.paid: content_updated }\n",
    "shopify": "platform: shopify\nadapter: generic\nsecret_env: BENCH_SECRET\nsignature: { scheme: shopify }\n"
               "adapter_config: { content_id: id, title: name, attributes: [financial_status, customer.email] }\n"
               "envelope: { event_type: { header: X-Shopify-Topic }, event_id: { header: X-Shopify-Webhook-Id }, payload: { json: \"\" } }\n"
               "event_types: { orders/create: content_added }\n",
}

_templates = {}


def template(shape):
    if shape not in _templates:
        builder = SHAPES[shape][0]
        _templates[shape] = json.dumps(builder(random.Random(20261204)), separators=(",", ":"), ensure_ascii=False)
    return _templates[shape]


def body(shape, i):
    """The shape's body for delivery `i`: the template with its markers replaced by a 12-digit counter."""
    return template(shape).replace(UNIQUE, f"{i:012d}").encode()


def signed(shape, i, secret, now):
    """(headers, body bytes) as the shape's sender would post delivery `i` at Unix time `now`."""
    data = body(shape, i)
    key = secret.encode()
    scheme = SHAPES[shape][2]
    if scheme == "hmac-sha256":
        headers = {"X-Webhook-Signature": "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()}
    elif scheme == "github":
        event = "pull_request" if shape == "github-pr" else "push"
        headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": f"72d3162e-cc78-11e3-81ab-{i:012d}",
                   "X-Hub-Signature-256": "sha256=" + hmac.new(key, data, hashlib.sha256).hexdigest()}
    elif scheme == "stripe":
        mac = hmac.new(key, str(now).encode() + b"." + data, hashlib.sha256).hexdigest()
        headers = {"Stripe-Signature": f"t={now},v1={mac}"}
    elif scheme == "shopify":
        headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": f"b54557e4-bdd9-4b37-8a5f-{i:012d}",
                   "X-Shopify-Hmac-Sha256": base64.b64encode(hmac.new(key, data, hashlib.sha256).digest()).decode()}
    else:
        raise ValueError(scheme)
    if shape.endswith("-gzip"):
        headers["Content-Encoding"] = "gzip"
        data = gzip.compress(data, mtime=0)
    return headers, data


def write_lines(path, shape, count, secret, now, start=0):
    """`count` distinct deliveries of `shape` for Benchmarks/post.lua: one line each, its path, its headers as
    `Name: value` fields and then the body, separated by tabs (JSON escapes any tab in a body; a compressed body is
    written `raw:<length>`, a newline, its bytes and a newline). Returns the size of a body as sent."""
    size = 0
    with open(path, "wb") as f:
        for i in range(start, start + count):
            headers, data = signed(shape, i, secret, now)
            raw = "Content-Encoding" in headers
            text = b"raw:%d\n" % len(data) + data if raw else data
            f.write(f"/api/v1/webhooks/{SHAPES[shape][1]}\t".encode() + "\t".join(f"{k}: {v}" for k, v in headers.items()).encode()
                    + b"\t" + text + b"\n")
            size = len(data)
    return size


if __name__ == "__main__":
    # One body per shape (decoded), the platform files they are posted to (platforms/), and index.json: each shape's
    # platform, the headers its sender posts it with (signed with BENCH_SECRET at `now`) and its size. Benchmarks/HotPaths
    # reads them.
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(os.path.join(out, "platforms"), exist_ok=True)
    now = 1764979200
    index = {}
    for shape, (_, platform, _, _) in SHAPES.items():
        data = body(shape, 1)
        json.loads(data)
        with open(os.path.join(out, shape + ".json"), "wb") as f:
            f.write(data)
        headers, _ = signed(shape, 1, "bench-secret-0123456789", now)
        headers.pop("Content-Encoding", None)  # the file holds the body decoded, which the signature covers
        index[shape] = {"platform": platform, "headers": headers, "bytes": len(data), "now": now}
        print(f"{shape:16} {len(data):6} bytes")
    for name, text in PLATFORM_FILES.items():
        with open(os.path.join(out, "platforms", name + ".yaml"), "w") as f:
            f.write(text)
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
