"""Who may do what through the APIs (docs/security.md)."""

from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission


def _is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


class IsStaffOrReadOnly(BasePermission):
    """Anyone reads; only authenticated staff users write."""

    message = "Writes require an authenticated staff user."

    def has_permission(self, request, view):
        return request.method in SAFE_METHODS or _is_staff(request.user)


class StaffToListAll(BasePermission):
    """Listing everything takes a staff user; one object, or a list filtered by an id, is open.

    Lists hold customer data (emails, amounts). A customer knows only the unguessable id of
    their order, so a list filtered by the view's ``open_list_filter`` (e.g. ``order_id``)
    stays open, like a read of one object by its id.
    """

    message = "Listing requires an authenticated staff user; filter by order id instead."

    def has_permission(self, request, view):
        if getattr(view, "action", None) != "list":
            return True
        open_filter = getattr(view, "open_list_filter", None)
        if open_filter and request.query_params.get(open_filter):
            return True
        if not (request.user and request.user.is_authenticated):
            # DRF would say only "credentials were not provided"; say what is needed.
            raise NotAuthenticated(self.message)
        return _is_staff(request.user)
