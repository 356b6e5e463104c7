"""`python -m streetchief`: the command line."""

import sys

from streetchief.cli import main

sys.exit(main())
