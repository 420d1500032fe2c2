"""What AWS sends to a root address, as data: one row per kind, first match wins. Add a row to teach RootMail more.

A rule matches when one of its `subject` patterns is found in the subject, or (for rules that have them) one of
its `body` patterns in the first part of the text. Patterns are case-insensitive regular expressions. `secret`
names what is taken out of verified mail of that kind and kept sealed for Reveal (see core.intake.classify.EXTRACTORS);
nothing is ever taken out of unverified mail. Mail no rule matches is "other" and is still forwarded.
"""
from __future__ import annotations

from dataclasses import dataclass

CRITICAL, HIGH, NORMAL, LOW = "critical", "high", "normal", "low"
SEVERITIES = (CRITICAL, HIGH, NORMAL, LOW)


@dataclass(frozen=True)
class Rule:
    kind: str
    title: str
    severity: str
    summary: str
    action: str
    subject: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    secret: str = ""  # "digits" | "update-code" | "reset-link" | ""


RULES: tuple[Rule, ...] = (
    Rule("email_update_code", "Primary e-mail update code", CRITICAL,
         "Someone asked AWS to change this account's root e-mail address and AWS sent the 6-character code.",
         "Reveal the code only if your team is moving the root e-mail right now. If nobody is, tell your "
         "security team at once: whoever completes this takes the account away from RootMail.",
         subject=(r"verify your new e-?mail", r"(primary|root) e-?mail (address )?(change|update)",
                  r"e-?mail address (change|update) (request|code)"),
         secret="update-code"),
    Rule("password_reset", "Root password reset", CRITICAL,
         "Someone asked AWS to reset the root user's password; the mail holds the reset link.",
         "If someone on your team asked for it, reveal the link and finish the reset within the time AWS "
         "gives. If nobody did, someone is trying to take over the account: tell your security team now.",
         subject=(r"password assistance", r"password reset", r"reset your (root (user )?)?password"),
         secret="reset-link"),
    Rule("signin_code", "Root sign-in one-time code", CRITICAL,
         "AWS sent a one-time code to finish a root user sign-in.",
         "Only the person signing in as root should reveal it. If nobody is signing in, someone knows the root "
         "password: reset it and tell your security team.",
         subject=(r"sign-?in.{0,40}(one-time|verification|security) (code|passcode)", r"one-time pass(code|word)",
                  r"\bOTP\b"),
         secret="digits"),
    Rule("verification_code", "Verification code", HIGH,
         "AWS sent a code to verify this e-mail address or the account.",
         "Use the code only if someone on your team is verifying the address or signing in right now. If not, "
         "do not use it and tell your security team.",
         subject=(r"e-?mail verification", r"account verification", r"verification code", r"verify your (e-?mail|identity)"),
         secret="digits"),
    Rule("mfa_change", "MFA device change", CRITICAL,
         "An MFA device of the root user was added, removed or changed.",
         "Confirm with your team who changed the root MFA device. If nobody did, treat the account as "
         "compromised: reset the root password and tell your security team.",
         subject=(r"\bMFA\b", r"multi-?factor", r"(security key|authenticator).{0,40}(added|removed|deactivated|registered)")),
    Rule("account_suspended", "Account suspended", CRITICAL,
         "AWS suspended the account; its resources may stop.",
         "Read why in the mail, fix the billing or abuse issue it names and contact AWS Support.",
         subject=(r"suspend",)),
    Rule("account_reinstated", "Account reinstated", NORMAL,
         "AWS reinstated the account after a suspension.",
         "Check that the account's workloads and billing are back to normal.",
         subject=(r"reinstat", r"account (has been |was )?re-?(opened|activated)")),
    Rule("account_closed", "Account closed", HIGH,
         "The AWS account was closed.",
         "If the closure was planned, retire this address. If not, contact AWS Support while the account can "
         "still be reopened.",
         subject=(r"account (has been |was |is )?(closed|terminated)", r"account closure", r"closing your aws account")),
    Rule("security", "Security notice", CRITICAL,
         "AWS warns about a security risk: exposed keys, unusual activity or a changed root credential.",
         "Treat it as a possible compromise: check CloudTrail, rotate the credentials AWS names and tell your "
         "security team.",
         subject=(r"security (notification|alert|notice|issue)", r"(exposed|compromised|leaked)", r"irregular activity",
                  r"unauthori[sz]ed", r"password (was |has been )?(changed|updated)", r"unusual (sign-?in|activity)")),
    Rule("abuse_report", "Abuse report", HIGH,
         "Someone reported abuse coming from a resource in this account.",
         "Find the named resource, stop the activity and answer AWS before the deadline in the report.",
         subject=(r"\babuse\b",)),
    Rule("health", "AWS Health notice", HIGH,
         "AWS Health announced an event or scheduled change that affects resources in this account.",
         "Open the AWS Health Dashboard, find the affected resources and act before the date AWS gives.",
         subject=(r"aws health", r"scheduled (maintenance|retirement|change)", r"instance retirement",
                  r"\bend of (standard )?support\b", r"deprecation")),
    Rule("account_created", "Account created", NORMAL,
         "The AWS account behind this address was created.",
         "Link the new account id to this address, so RootMail can find it by id: link <address> <account id>.",
         subject=(r"welcome to (amazon web services|aws)", r"account (is )?(ready|created|activated)")),
    Rule("support_case", "Support case", NORMAL,
         "AWS Support opened, updated or resolved a case.",
         "Read the case in the AWS Support Center and answer there.",
         subject=(r"support case", r"\[case\s*#?\d+", r"\bcase (id|#)\s*\d+")),
    Rule("billing", "Billing", NORMAL,
         "A bill, invoice, payment or budget notice.",
         "Pass it on to whoever pays for this account if the amount or the payment looks wrong.",
         subject=(r"billing", r"invoice", r"\bbudgets?\b", r"payment", r"\bcharges?\b", r"cost and usage",
                  r"free tier", r"savings plans?", r"reserved instance", r"rechnung", r"factura", r"facture",
                  "\u8acb\u6c42")),  # 請求: "bill" in Japanese
    Rule("marketing", "News and marketing", LOW,
         "News, events or offers from AWS.",
         "Nothing to do.",
         subject=(r"re:\s?invent", r"webinar", r"newsletter", r"\bsummit\b", r"\bevents?\b.{0,20}(invit|regist)",
                  r"register (now|today)", r"don.t miss", r"what.s new", r"\bdigest\b")),
)

OTHER = Rule("other", "Other AWS mail", NORMAL,
             "A mail RootMail has no rule for.",
             "Read it; if it matters, tell an admin so a rule can be added.")

UNVERIFIED_ACTION = ("Do not act on this mail: RootMail could not verify it came from AWS. An admin should check "
                     "it in the shared mailbox and report it if it is phishing.")
