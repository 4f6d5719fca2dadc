"""``python -m genolens``: see :mod:`genolens.cli`."""

import sys

from genolens.cli import main

sys.exit(main())
