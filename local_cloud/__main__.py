"""``python -m local_cloud``."""

from local_cloud.cli import main

raise SystemExit(main())
