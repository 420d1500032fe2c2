"""What AWS sends to a root address, as data: one row per kind. Add a row to teach RootMail more.

Rules are tried in three passes, each in table order: first `sender` patterns (on the From address: AWS gives some
flows a sender of their own, such as recover-mfa-no-reply@verify.signin.aws), then `subject` patterns, then `body`
patterns on the first part of the text (for kinds whose subjects vary or say nothing). Patterns are case-insensitive
regular expressions. `secret` names what is taken out of verified mail of that kind and kept sealed for Reveal (see
core.intake.secret_finder.EXTRACTORS); nothing is ever taken out of unverified mail. Mail no rule matches is "other" and
is still forwarded. ESCALATIONS: a mail whose body says the account is compromised, suspended or at risk takes that
kind's severity, whatever its own kind (AWS sends compromise notices as support cases). The examples each rule was
written from are in tests/mails/real (provenance.json says where each was published).
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
    secret: str = ""  # "digits" | "update-code" | "reset-link" | "verify-link" | ""
    sender: tuple[str, ...] = ()


RULES: tuple[Rule, ...] = (
    Rule("mfa_recovery", "Root MFA recovery", CRITICAL,
         "Someone is signing in as root with alternative factors (the MFA device is lost): AWS sent a link to verify "
         "this e-mail address, then it calls the account's phone.",
         "Reveal the link only if your team lost the root MFA device and is recovering it right now. If nobody is, "
         "someone knows the root password: reset it and tell your security team at once.",
         sender=(r"^recover-mfa-no-reply@",),
         subject=(r"alternative factors", r"(recover|reset).{0,20}\bMFA\b"),
         body=(r"sign in using alternative factors",), secret="verify-link"),
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
         sender=(r"^password-reset-no-reply@",),
         subject=(r"password assistance", r"password reset", r"reset your (root (user )?)?password"),
         secret="reset-link"),
    Rule("signin_code", "Root sign-in one-time code", CRITICAL,
         "AWS sent a one-time code to finish a root user sign-in.",
         "Only the person signing in as root should reveal it. If nobody is signing in, someone knows the root "
         "password: reset it and tell your security team.",
         subject=(r"sign-?in.{0,40}(one-time|verification|security) (code|passcode)", r"one-time pass(code|word)",
                  r"\bOTP\b"),
         body=(r"attempt to sign in to your .{0,40}account.{0,120}verification code",),
         secret="digits"),
    Rule("verification_code", "Verification code", HIGH,
         "AWS sent a code to verify this e-mail address or the account.",
         "Use the code only if someone on your team is verifying the address or signing in right now. If not, "
         "do not use it and tell your security team.",
         subject=(r"e-?mail verification", r"account verification", r"verification code", r"verify your (e-?mail|identity)",
                  r"verify your .{0,40}e-?mail address"),
         secret="digits"),
    Rule("mfa_change", "MFA device change", CRITICAL,
         "An MFA device of the root user was added, removed or changed.",
         "Confirm with your team who changed the root MFA device. If nobody did, treat the account as "
         "compromised: reset the root password and tell your security team.",
         subject=(r"\bMFA\b", r"multi-?factor", r"(security key|authenticator).{0,40}(added|removed|deactivated|registered)"),
         body=(r"multi-factor authentication \(MFA\)( device)? (has been|was) (de)?activated",)),
    Rule("suspicious_activity", "Suspicious activity", CRITICAL,
         "AWS saw activity in the account that may not be yours and may have limited what the account can do.",
         "Treat it as a possible compromise: answer AWS before its deadline, check CloudTrail, rotate the credentials "
         "it names and tell your security team.",
         subject=(r"suspicious activity", r"unusual (sign-?in|activity)"),
         body=(r"accessed by a third party without (your )?permission", r"possibly unwanted activity")),
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
                  r"unauthori[sz]ed", r"password (was |has been )?(changed|updated)")),
    Rule("abuse_report", "Abuse report", HIGH,
         "Someone reported abuse coming from a resource in this account.",
         "Find the named resource, stop the activity and answer AWS before the deadline in the report.",
         sender=(r"^(ec2-abuse|abuse|trustandsafety)@",),
         subject=(r"\babuse\b",)),
    Rule("maintenance", "Scheduled maintenance or retirement", HIGH,
         "AWS scheduled a reboot, maintenance or the retirement of a resource in this account, or found its hardware "
         "failing.",
         "Find the resource and stop/start or replace it before the date AWS gives; it may already be unreachable.",
         subject=(r"retirement", r"\bmaintenance\b", r"reboot (required|scheduled)", r"scheduled (reboot|retirement)"),
         body=(r"scheduled for (a )?(reboot|retirement|maintenance)", r"detected degradation of the underlying hardware")),
    Rule("end_of_support", "End of support or deprecation", NORMAL,
         "AWS is ending support for a runtime, engine or version that resources in this account still use.",
         "Plan the upgrade: find the resources AWS names and move them before the end-of-support date.",
         subject=(r"\bend of (standard )?support\b", r"\bdeprecat", r"\bend[- ]of[- ]life\b", "\u30b5\u30dd\u30fc\u30c8\u7d42\u4e86"),
         body=(r"reach(es|ed)? (its )?end of (standard )?(life|support)",)),
    Rule("health", "AWS Health notice", HIGH,
         "AWS Health announced an event or scheduled change that affects resources in this account.",
         "Open the AWS Health Dashboard, find the affected resources and act before the date AWS gives.",
         subject=(r"aws health", r"scheduled change", r"certificate renewal")),
    Rule("account_created", "Account created", NORMAL,
         "The AWS account behind this address was created.",
         "Link the new account id to this address, so RootMail can find it by id: link <address> <account id>.",
         subject=(r"welcome to (amazon web services|aws)", r"account (is )?(ready|created|activated)",
                  r"sign-?up confirmation")),
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
    Rule("sns_subscription", "SNS subscription confirmation", LOW,
         "Someone subscribed this address to an Amazon SNS topic. AWS sends the mail, but the topic's name and text "
         "are written by whoever created the topic: scammers put phone numbers and offers there.",
         "Do not confirm it and never call or follow anything in the topic name; root addresses do not subscribe "
         "to topics. Tell an admin if these keep coming.",
         subject=(r"subscription confirmation",)),  # not by sender: SNS also delivers alarms a team subscribed to
    Rule("marketing", "News and marketing", LOW,
         "News, events or offers from AWS.",
         "Nothing to do.",
         subject=(r"re:\s?invent", r"webinar", r"newsletter", r"\bsummit\b", r"\bevents?\b.{0,20}(invit|regist)",
                  r"register (now|today)", r"don.t miss", r"what.s new", r"\bdigest\b")),
)

# (body pattern, kind whose severity a mail of any other kind takes when its body says so)
ESCALATIONS: tuple[tuple[str, str], ...] = (
    (r"\byour\s+(aws\s+)?account(\s+\d{12})?\s+(is|has\s+been|was|may\s+(still\s+)?(be|have\s+been))\s+compromised",
     "security"),
    (r"\byour\s+(aws\s+)?account(\s+\d{12})?\s+(has\s+been|was|is|will\s+be)\s+suspended", "account_suspended"),
    (r"\baccount\s+may\s+(still\s+)?be\s+at\s+risk", "suspicious_activity"),
    (r"accessed\s+by\s+a\s+third\s+party\s+without\s+(your\s+)?permission", "suspicious_activity"),
)

OTHER = Rule("other", "Other AWS mail", NORMAL,
             "A mail RootMail has no rule for.",
             "Read it; if it matters, tell an admin so a rule can be added.")

UNVERIFIED_ACTION = ("Do not act on this mail: RootMail could not verify it came from AWS. An admin should check "
                     "it in the shared mailbox and report it if it is phishing.")
