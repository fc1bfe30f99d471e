"""Readers of real image datasets in their official on-disk formats, read at run time from a
folder the user points to (``--data-dir``); nothing here is shipped with the package."""
