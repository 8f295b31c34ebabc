"""``python -m fouanalys``: the same as the ``fouanalys`` command."""

import sys

from fouanalys.cli import main

sys.exit(main())
