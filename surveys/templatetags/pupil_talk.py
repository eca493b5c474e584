"""Who a pupil's "I'd like to talk to someone" reaches, for the pupil pages that offer it."""

from django import template

from accounts import selectors as account_selectors

register = template.Library()


@register.simple_tag
def named_safeguarding_lead(school, has_account=None) -> str:
    """The name pupils know the school's safeguarding lead by ("Mrs Ahmed"), when a request
    reaches them (``talk_requests_reach_safeguarding_lead``); otherwise "". A pupil is told
    a name only when it is true: a school that has named nobody sends requests to its
    school leads, and the pupil hears "the adults at school who help keep you safe"."""
    if school is None or not account_selectors.talk_requests_reach_safeguarding_lead(school, has_account=has_account):
        return ""
    return school.dsl_name.strip()
