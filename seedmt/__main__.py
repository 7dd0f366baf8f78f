"""`python -m seedmt ...` is the `seedmt` command."""
import sys

from seedmt.cli import main

sys.exit(main())
