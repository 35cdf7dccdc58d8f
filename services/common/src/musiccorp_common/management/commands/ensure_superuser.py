"""Create or update the admin user from the environment; safe to run on every start."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from musiccorp_common.env import env_str


class Command(BaseCommand):
    help = (
        "Create the superuser named by DJANGO_SUPERUSER_USERNAME with DJANGO_SUPERUSER_PASSWORD "
        "(and DJANGO_SUPERUSER_EMAIL), or reset its password if it exists. "
        "Example: DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_PASSWORD=... python manage.py ensure_superuser"
    )

    def handle(self, *args, **options):
        username = env_str("DJANGO_SUPERUSER_USERNAME", default="")
        password = env_str("DJANGO_SUPERUSER_PASSWORD", default="")
        if not username or not password:
            raise CommandError("DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD must both be set")
        email = env_str("DJANGO_SUPERUSER_EMAIL", default=f"{username}@musiccorp.invalid")
        user, created = get_user_model().objects.get_or_create(username=username, defaults={"email": email})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(f"{'created' if created else 'updated'} superuser {username!r}")
