"""OpenAPI description of the bearer tokens (loaded by ApiConfig.ready)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TokenAuthentication"
    name = "bearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A department, citizen or front-desk token: Authorization: Bearer pt_…"}
