from django.apps import AppConfig


class TreesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "trees"

    def ready(self) -> None:
        # Counts failed sign-ins (a user_login_failed receiver) from the first request on.
        from django.contrib.auth.signals import user_logged_out

        from trees import loginguard  # noqa: F401
        from trees.realtime.broadcast import on_user_logged_out

        # Logging out ends the session's open websockets too (docs/protocol.md, 4401).
        user_logged_out.connect(on_user_logged_out, dispatch_uid="trees-ws-logout")
