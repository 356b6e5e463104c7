import sys

from streetchief.cli import main

sys.exit(main())
