from rulewatch.cli import main

raise SystemExit(main())
