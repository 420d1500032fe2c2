"""The attack catalogue: one file per attack family, each test named for the attack it shows RootMail refusing.

Every test here failed on the code before its fix. Read a file's docstring for the family; the files:

    test_api_reowning.py         the API moving an address to any channel with ReadWrite alone, silently
    test_auth_results.py         Authentication-Results smuggling a pass in a quoted string or comment; a fail for the
                                 same method outweighed by a pass (RFC 8601)
    test_browser_driven_bot.py   without authentication, a web page drives /api/messages (cross-site text/plain,
                                 Origin, DNS rebinding), a made-up admin, a serviceUrl that is not loopback or Teams
    test_code_leaks.py           codes and links the extractor seals but the redactor missed (odd separators, spread
                                 digits, hard-wrapped links, HTML only); the last guard before a card is posted
    test_duplicate_message_id.py a second mail reusing a known Message-ID with another sender verdict or content
    test_error_echo.py           an oversized header echoed a bearer token; 413 and parse errors as problem+json
    test_hostile_bodies.py       JSON nested 100,000 deep, bogus charsets: 400 on the API, the bot and the webhook
    test_keys_outage.py          the tenant's OpenID metadata/JWKS down: failures remembered and backed off
    test_malformed_activities.py activities with fields of the wrong type: 400 before botbuilder's adapter
    test_pool_draining.py        one user draining the alias pool with quick `new` submits: hourly and open limits
                                 per person and per conversation, admins exempt, refusals audited, admins told once
    test_request_id_replay.py    another channel's form request id replayed, a pipeline's Idempotency-Key squatted by a
                                 form, a replay after the address moved away
    test_secrets_at_rest.py      a world-readable key file, a wiped sealed code left in the SQLite WAL, aiosqlite's
                                 DEBUG lines carrying every SQL parameter
    test_smtp_trust.py           SMTP clients that are not the mail boundary writing their own Authentication-Results;
                                 exchange-online over SMTP; listening beyond loopback; SMTP AUTH only after STARTTLS
    test_token_headers.py        JWTs with headers Entra ID never writes (a `kid` that is not a string) -> 401
    test_webhook_forgery.py      forged Graph notification floods (one log line per post), validation tokens with
                                 markup (not echoed; nosniff)
"""
