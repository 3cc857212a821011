"""Who acts when an API token reads or writes: the one place a token becomes the actor of its
audit events (audit.services.TokenActor). Its events name the token by its label and prefix:
a citizen's own token acts as the citizen, a department system's as its service account, a
front desk's as the desk, for the citizen it serves."""

from audit.services import TokenActor

from .models import ApiToken, TokenKind


def token_actor(token: ApiToken) -> TokenActor:
    return TokenActor(user=token.user, label=token.label, token=token.prefix,
                      front_desk=token.name if token.kind == TokenKind.FRONT_DESK else "")
