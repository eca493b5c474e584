"""Print the current two-factor code for the demo VRU accounts (demo data only)."""

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Show the current six-digit code for the demo VRU accounts (@vru.example)."

    def handle(self, *args, **options):
        counter = next(iter(yield_hotp_counters_from_time()))
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter))
        self.stdout.write(f"Current code for the demo VRU accounts: {code} (changes every 30 seconds)")
