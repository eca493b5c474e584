from __future__ import annotations

from .roles import is_vru_staff


def staff_navigation(request) -> dict:
    """What the site header needs: whether to show staff links and the VRU admin link."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_is_staff": False, "nav_is_vru": False}
    return {"nav_is_staff": True, "nav_is_vru": is_vru_staff(user)}
