"""The machinery behind ``helpers.py``: target switch, resources, emulator, graphs and widgets.

Learners start from ``helpers.py``; each module here has one job named by its file name.
"""
