"""Where models registered before the tracking package existed find their class.

A saved pyfunc model pickles `CrossingsModel` by reference to the module it was defined in;
models registered by earlier versions name ``forecasting.pyfunc``. This alias keeps them
loadable (tests/forecasting/tracking/test_saved_models.py); new code imports
`forecasting.tracking.pyfunc`.
"""

from forecasting.tracking.pyfunc import CrossingsModel

__all__ = ["CrossingsModel"]
