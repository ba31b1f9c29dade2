"""`python -m colornn_keras.cli ...`: the `colornn` command."""

import sys

from colornn_keras.cli import main

sys.exit(main())
