"""`hinge demo`: the user journey on a virtual board (``journey``) and the firmware-only run (``firmware``)."""
