"""Every kind of AWS mail a team must act on links to where AWS lets it act (cards.mail.ACT_AT)."""
from cards.mail import ACT_AT
from core.intake.aws_mail_rules import RULES


def test_every_kind_but_marketing_links_somewhere_at_aws():
    assert {rule.kind for rule in RULES} - {"marketing"} == set(ACT_AT)
    assert all(url.startswith(("https://console.aws.amazon.com/", "https://health.aws.amazon.com/",
                               "https://support.console.aws.amazon.com/")) for _, url in ACT_AT.values())
