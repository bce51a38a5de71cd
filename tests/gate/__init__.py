"""The process-level DevStack-style gate (issue 14): tools/gate.sh."""
