from lamina._cli import main

raise SystemExit(main())
