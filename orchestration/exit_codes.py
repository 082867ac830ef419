"""The exit codes of `nba-pipeline`: defined here once, shown in `nba-pipeline --help` and the README.

The two warehouse codes follow BSD `sysexits.h` so that schedulers and shell
scripts can tell "try again later" (75, EX_TEMPFAIL) from "the file itself is
the problem" (74, EX_IOERR). The last two follow the shell's 128 + signal
convention, the code a shell reports when a program dies of that signal.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    BLOCKED = 3
    WAREHOUSE_UNREADABLE = 74
    WAREHOUSE_BUSY = 75
    INTERRUPTED = 130
    BROKEN_PIPE = 141


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FAILED: "the work failed (a build, a gate, a validation level FAIL)",
    ExitCode.USAGE: "bad input or usage (a date, a flag, a landing file refused)",
    ExitCode.BLOCKED: "partial: some dates were BLOCKED by gaps upstream (the message names the fix)",
    ExitCode.WAREHOUSE_UNREADABLE: "the warehouse file is missing, damaged or not accessible (EX_IOERR)",
    ExitCode.WAREHOUSE_BUSY: "another process kept the warehouse past --lock-timeout; try again (EX_TEMPFAIL)",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ExitCode.BROKEN_PIPE: "the reader of stdout went away (e.g. `| head`); output ends quietly",
}


def exit_codes_help() -> str:
    """The exit-code table for `--help` (argparse epilog, printed as is)."""
    return "exit codes:\n" + "\n".join(f"  {int(code):>3}  {MEANINGS[code]}" for code in ExitCode)
