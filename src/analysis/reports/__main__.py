"""``python -m analysis.reports``: run the notebooks and write ``reports/``."""

import sys

from analysis.reports.runner import main

sys.exit(main())
