from bptrace.cli import main

raise SystemExit(main())
