"""Pure rules of kehoach: no framework, no I/O."""
