"""Use cases: each `verb_noun(*, uow, ...)` runs in one unit of work."""
