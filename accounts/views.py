from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import AvatarForm, ProfileForm
from accounts.models import User
from accounts.selectors import avatar_url, user_with_avatar_get
from accounts.services import AvatarRejected, user_avatar_remove, user_avatar_set
from attachments.delivery import stored_file_response

# The URL changes with every new picture, so the browser may keep one for long.
AVATAR_CACHE_SECONDS = 30 * 24 * 3600


def _profile_page(
    request: HttpRequest, *, form: ProfileForm | None = None, avatar_form: AvatarForm | None = None
) -> HttpResponse:
    return render(
        request,
        "accounts/user_profile.html",
        {
            "form": form or ProfileForm(instance=request.user),
            "avatar_form": avatar_form or AvatarForm(),
        },
    )


@login_required
def profile_view(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return _profile_page(request, form=form)


@login_required
@require_POST
def avatar_upload_view(request: HttpRequest) -> HttpResponse:
    avatar_form = AvatarForm(request.POST, request.FILES)
    if avatar_form.is_valid():
        try:
            user_avatar_set(user=request.user, upload=avatar_form.cleaned_data["avatar"])
        except AvatarRejected as rejected:
            avatar_form.add_error("avatar", rejected.detail)
        else:
            messages.success(request, _("Your avatar is saved."))
            return redirect("accounts:profile")
    return _profile_page(request, avatar_form=avatar_form)


@login_required
@require_POST
def avatar_remove_view(request: HttpRequest) -> HttpResponse:
    user_avatar_remove(user=request.user)
    messages.success(request, _("Your avatar is removed; your initials show instead."))
    return redirect("accounts:profile")


@require_GET
def avatar_view(request: HttpRequest, user_id: int, version: int) -> HttpResponse:
    """Anyone signed in sees everyone's avatar (member lists, messages); nobody else does."""
    if not request.user.is_authenticated:
        raise Http404
    try:
        user = user_with_avatar_get(user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None
    if version != user.avatar_version:
        # A page loaded before the change: send it to the current picture, briefly.
        response = redirect(
            avatar_url(user_id=user.pk, avatar=user.avatar.name, version=user.avatar_version)
        )
        patch_cache_control(response, private=True, no_store=True)
        return response
    return stored_file_response(
        stored=user.avatar,
        content_type="image/webp",
        display_name="avatar.webp",
        max_age=AVATAR_CACHE_SECONDS,
    )
