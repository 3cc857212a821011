"""OpenAPI description of the bearer tokens and their scopes (the scheme is loaded by
ApiConfig.ready; the schema class is REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .scopes import KIND_SCOPES, SCOPE_HELP, required_scope


def _scopes_text() -> str:
    scopes = "\n".join(f"- `{scope}`: {help_text}." for scope, help_text in SCOPE_HELP.items())
    kinds = "\n".join(f"- {kind.label}: {', '.join(f'`{s}`' for s in scopes_of)}"
                      for kind, scopes_of in KIND_SCOPES.items())
    return (f"Scopes (each operation names the one it needs; without it: 403 `insufficient_scope`):\n{scopes}\n\n"
            f"Scopes each kind of token may hold (all of them unless chosen when issuing):\n{kinds}\n\n"
            "A token works until it expires (at most `API_TOKEN_LIFETIME_DAYS`, 365 by default); "
            "after that: 401 `token_expired`.")


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A department, citizen or front-desk token: Authorization: Bearer pt_…\n\n"
                               + _scopes_text()}


class ScopedAutoSchema(AutoSchema):
    """Each token operation's description ends with the scope it needs, also given as
    ``x-required-scope``."""

    def _scope(self) -> str | None:
        return required_scope(self.view, self.method) if self.view.get_authenticators() else None

    def get_description(self) -> str:
        description = super().get_description()
        if scope := self._scope():
            note = f"Needs a token with the `{scope}` scope."
            return f"{description}\n\n{note}" if description else note
        return description

    def get_extensions(self) -> dict:
        extensions = super().get_extensions()
        if scope := self._scope():
            extensions = {**extensions, "x-required-scope": scope}
        return extensions
