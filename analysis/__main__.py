"""``python -m analysis run --corpus PATH --out reports/NAME``."""

import sys

from analysis.study.runner import main

sys.exit(main())
