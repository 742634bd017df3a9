"""Watch rules: term matching, the query language and rule evaluation (pure, no IO)."""
