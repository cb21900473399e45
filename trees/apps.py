from django.apps import AppConfig


class TreesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trees"

    def ready(self) -> None:
        # Counts failed sign-ins (a user_login_failed receiver) from the first request on.
        from trees import loginguard  # noqa: F401
