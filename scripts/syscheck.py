"""Stop with a clear message, not a traceback, when a system library is missing."""

import sys

try:
    import weasyprint  # noqa: F401
except OSError as error:  # Pango or its friends cannot be loaded
    sys.exit(
        "WeasyPrint (lesson-plan and report PDFs) needs the Pango text library.\n"
        "On Debian/Ubuntu install it with:\n"
        "    sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0\n"
        f"(the error was: {error})"
    )
