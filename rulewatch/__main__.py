from rulewatch.command import main

raise SystemExit(main())
