from enclave.cli import main

raise SystemExit(main())
