"""Amazon EventBridge Scheduler on the local target.

- ``schedules``: schedules fire on the emulator's schedule clock and invoke their targets.
"""
