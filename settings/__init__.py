"""RootMail's settings: read from the environment once, validated at start, every problem named at once. Imports core.

    parse.py  one parser per kind of value
    spec.py   the table of every setting (the README's table comes from it)
    model.py  the Settings record, load_settings and the checks across settings
"""
from settings.model import Settings, SettingsError, load_settings
from settings.parse import ROOT
from settings.spec import SPEC

__all__ = ["ROOT", "SPEC", "Settings", "SettingsError", "load_settings"]
