"""The attack catalogue: one file per attack family, each test named for the attack it shows RootMail refusing.

Every test here failed on the code before its fix. Read a file's docstring for the family; the files:

    test_token_headers.py      JWTs with headers Entra ID never writes (a `kid` that is not a string) -> 401
    test_keys_outage.py        the tenant's OpenID metadata/JWKS down: failures remembered and backed off
"""
