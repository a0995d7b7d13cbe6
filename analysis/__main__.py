"""``python -m analysis run --corpus PATH --out reports/NAME``."""

import sys

from .runner import main

sys.exit(main())
