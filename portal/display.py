"""The larger-text mode: on the account of a signed-in person, in a cookie for a visitor."""

LARGE_TEXT_COOKIE = "portal_large_text"
ONE_YEAR = 365 * 24 * 3600


def large_text(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user.large_text
    return request.COOKIES.get(LARGE_TEXT_COOKIE) == "1"


def remember_large_text(request, response, *, on: bool) -> None:
    """For a visitor who is not signed in."""
    if on:
        response.set_cookie(LARGE_TEXT_COOKIE, "1", max_age=ONE_YEAR, samesite="Lax", httponly=True,
                            secure=request.is_secure())
    else:
        response.delete_cookie(LARGE_TEXT_COOKIE, samesite="Lax")
