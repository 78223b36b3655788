import sys

from riffcut.cli import main

sys.exit(main())
