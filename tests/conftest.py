import os

from hypothesis import settings

# CI runs the same examples every time (a red CI must mean a real regression, reproducible);
# locally hypothesis explores new examples on each run.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
