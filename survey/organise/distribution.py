"""QR codes, the A4 poster and single-use invitations (links, uploaded member lists, reminders)."""
