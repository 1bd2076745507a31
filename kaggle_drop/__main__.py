"""``python -m kaggle_drop``: see :mod:`kaggle_drop.cli`."""

import sys

from kaggle_drop.cli import main

sys.exit(main())
