"""`python -m seedmt ...` is the `seedmt` command."""
import sys

from seedmt.translate.cli import main

sys.exit(main())
