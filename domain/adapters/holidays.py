"""Read the holiday file (KEHOACH_HOLIDAYS_FILE) that completes or corrects the shipped working calendar."""
from __future__ import annotations

from pathlib import Path

from domain.messages import DomainError
from domain.model.calendar import VIETNAM, CalendarLineError, WorkCalendar, parse_calendar_lines


def load_calendar(path: str | Path | None) -> WorkCalendar:
    """The shipped calendar, extended by the lines of `path` when one is named.

    A missing file or a line that cannot be read is a DomainError naming the file and the line.
    """
    if not path:
        return VIETNAM
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DomainError("holidays_file_missing", file=str(path)) from None
    except UnicodeDecodeError:
        raise DomainError("holidays_file_encoding", file=str(path)) from None
    try:
        return VIETNAM.extended(parse_calendar_lines(text))
    except CalendarLineError as exc:
        raise DomainError("holidays_line", file=str(path), line=exc.line, text=exc.text.strip(),
                          problem=exc.problem) from None
