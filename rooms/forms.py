from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from rooms.models import MUTE_MAX, SLOW_MODE_MAX_SECONDS, Room
from rooms.selectors import room_name_taken


class RoomForm(forms.ModelForm):
    """A new room, or the settings of ``renaming``, as ``user`` fills them in."""

    class Meta:
        model = Room
        fields = ["name", "description", "visibility"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
        }

    def __init__(
        self, *args: object, user: User, renaming: Room | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.renaming = renaming
        # Left out, a room is public: the common case needs no choice.
        self.fields["visibility"].required = False

    def clean_visibility(self) -> str:
        return self.cleaned_data.get("visibility") or Room.Visibility.PUBLIC

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("A room needs a name."))
        unchanged = self.renaming is not None and name.casefold() == self.renaming.name.casefold()
        if not unchanged and room_name_taken(name=name, user=self.user, renaming=self.renaming):
            # Two rooms of one name would look the same in everyone's sidebar.
            raise forms.ValidationError(
                _("There is already a room called “%(name)s”: pick another name.") % {"name": name}
            )
        return name


class MemberActionForm(forms.Form):
    ACTIONS = [
        ("kick", _("Kick")),
        ("ban", _("Ban")),
        ("mute", _("Mute")),
        ("unmute", _("Unmute")),
        ("promote", _("Make moderator")),
        ("demote", _("Remove moderator")),
        ("transfer", _("Transfer ownership")),
    ]

    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(max_length=500, required=False)
    minutes = forms.IntegerField(
        min_value=0,
        max_value=int(MUTE_MAX.total_seconds()) // 60,
        required=False,
        help_text=_("Mute: how long. Ban: how long; empty or 0 bans for good."),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "mute" and not data.get("minutes"):
            self.add_error("minutes", _("Say for how many minutes to mute."))
        return data


class SlowModeForm(forms.Form):
    seconds = forms.IntegerField(
        min_value=0, max_value=SLOW_MODE_MAX_SECONDS, label=_("Slow mode (seconds)")
    )


class InvitationForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        required=False,
        label=_("Invite a user by username"),
        help_text=_("Leave empty to create a link anyone holding it can use."),
    )
    expires_in_hours = forms.IntegerField(
        min_value=1, max_value=24 * 365, required=False, label=_("Expires after (hours)")
    )
    max_uses = forms.IntegerField(
        min_value=1, max_value=10_000, required=False, label=_("Use limit")
    )
