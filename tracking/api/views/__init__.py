"""The API's endpoints (`base`, `referrals`, `cases`) and the admins' key pages (`keys`)."""
