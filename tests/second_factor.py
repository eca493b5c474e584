"""Sign a VRU user in on Django's test client as if they had passed both factors.

Usage::

    force_login_with_second_factor(client, officer)   # officer = UserFactory(groups=[OFFICER], mfa=True)

``force_login`` alone skips allauth, so the session has no record of a password or a
second factor; a middleware that insists MFA was passed *in this session* would then
refuse the user. This writes allauth's own session records (the format of
``allauth.account.internal.flows.login.record_authentication``): a password step and an
``mfa`` step with the user's TOTP authenticator.
"""

from __future__ import annotations

import time

from allauth.mfa.models import Authenticator

AUTHENTICATION_METHODS = "account_authentication_methods"
AUTHENTICATION_METHODS_USER = "account_authentication_methods_user"


def force_login_with_second_factor(client, user) -> None:
    client.force_login(user)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    now = time.time()
    records = [{"method": "password", "at": now, "email": user.email}]
    if authenticator is not None:
        records.append({"method": "mfa", "at": now, "id": authenticator.pk, "type": "totp"})
    session = client.session
    session[AUTHENTICATION_METHODS] = records
    session[AUTHENTICATION_METHODS_USER] = str(user.pk)
    session.save()
