"""One family of exceptions, with messages a researcher can act on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


class FouanalysError(Exception):
    """Raised for any failure fouanalys can explain; the CLI prints it without a traceback."""


class InvalidArgumentError(FouanalysError, ValueError):
    """Raised when a function is called with an argument it cannot use; names the argument."""


class CodebookError(FouanalysError):
    """Raised when the codebook YAML is missing, malformed or inconsistent."""


class CodebookEntryError(CodebookError, ValueError):
    """Raised when a codebook entry contradicts itself or another; pydantic reports it by file."""


class KnowledgeBaseError(FouanalysError):
    """Raised when the knowledge base of approaches is missing, malformed or inconsistent."""


class FactorResearchError(FouanalysError):
    """Raised when the research linked to codebook factors is missing, malformed or inconsistent."""


class SuppressionError(FouanalysError, RuntimeError):
    """Raised when complementary suppression finds no cell to protect another (an internal bug)."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is and what was expected.

    ``rows`` are row numbers as a spreadsheet shows them (the header is row 1, so the first data
    row is row 2, or later when the header sits lower down).
    """

    file: str
    message: str
    column: str | None = None
    rows: tuple[int, ...] = ()
    values: tuple[str, ...] = ()
    expected: str | None = None
    n_rows: int | None = None  # total number of offending rows, when more than listed
    #: Where ``column`` sits in a worksheet ("C"), for a problem in an Excel workbook.
    column_letter: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.column:
            letter = f"{self.column_letter} " if self.column_letter else ""
            parts.append(f"kolumn {letter}'{self.column}'")
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:10])
            total = self.n_rows if self.n_rows is not None else len(self.rows)
            more = f" (och {total - 10} till)" if total > 10 else ""
            parts.append(("rad " if total == 1 else "rader ") + shown + more)
        text = ", ".join(parts) + ": " + self.message
        if self.values:
            text += " — värden: " + ", ".join(repr(v) for v in self.values[:5])
        if self.expected:
            text += f" — förväntat: {self.expected}"
        return text


class InputError(FouanalysError):
    """Raised when a raw input cannot be read at all (missing, empty, unreadable encoding).

    Carries one problem, or several when the file has more than one place to correct (e.g. each
    place where its encoding changes); ``problem`` is the first.
    """

    def __init__(self, problem: Problem, *more: Problem):
        self.problem = problem
        self.problems = [problem, *more]
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class ValidationReport:
    """The outcome of validating a data directory: every problem found, per file."""

    data_dir: str
    files: dict[str, dict] = field(default_factory=dict)  # name -> {path, rows, sha256}
    problems: list[Problem] = field(default_factory=list)
    #: Things that do not stop the data from being used but show in the reports (e.g. a
    #: character the report font cannot draw); the report is still ok.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class DataValidationError(FouanalysError):
    """Raised when raw inputs fail validation; carries the whole problem list."""

    def __init__(self, problems: Sequence[Problem], report_path: str | None = None):
        self.problems = list(problems)
        self.report_path = report_path
        lines = [f"{len(self.problems)} problem i indata:"]
        lines += [f"  - {p}" for p in self.problems]
        if report_path:
            lines.append(f"Valideringsrapport: {report_path}")
        super().__init__("\n".join(lines))


class MappingReturnError(DataValidationError):
    """Raised when returned mapping workbooks cannot be read or fail validation; carries every
    problem of every workbook, and nothing has been stored."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems)
        lines = [
            f"{len(self.problems)} problem i de returnerade arbetsböckerna; ingenting har sparats:"
        ]
        lines += [f"  - {p}" for p in self.problems]
        lines.append(
            "Rätta arbetsböckerna och kör 'fouanalys mapping import' igen med alla filerna."
        )
        self.args = ("\n".join(lines),)


class UnusableDataError(DataValidationError):
    """Raised when a notebook's data directory is missing or fails validation.

    A notebook shows it as the plain problem list (see :meth:`_render_traceback_`): a heading
    naming the folder, one line per problem and the path of the HTML validation report.
    """

    def __init__(
        self,
        data_dir: Path,
        problems: Sequence[Problem],
        report_path: str | None = None,
        heading: str | None = None,
    ):
        super().__init__(problems, report_path=report_path)
        self.data_dir = Path(data_dir)
        self.heading = heading or (
            f"Underlaget i {self.data_dir} klarar inte valideringen: {len(self.problems)} problem"
        )

    def plain_lines(self) -> list[str]:
        """The heading, one line per problem, the validation report and what to do."""
        lines = [self.heading, ""]
        lines += [f"- {problem}" for problem in self.problems]
        lines.append("")
        if self.report_path:
            lines.append(f"Valideringsrapport: {self.report_path}")
        lines.append(
            "Rätta filerna (eller ange en annan data_dir i parametercellen) och kör "
            "notebooken igen."
        )
        return lines

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback when a notebook cell raises this error."""
        return self.plain_lines()


class UnknownMunicipalityError(FouanalysError):
    """Raised when a municipality code or name is not in the codebook."""


class BuildError(FouanalysError):
    """Raised when the build as a whole cannot proceed (not for a single failed chapter)."""


class BuildInterrupted(BuildError):
    """Raised when SIGINT or SIGTERM stopped a build; finished chapters stay installed.

    Carries the signal and how many of the build's chapters are finished, for the CLI's last
    line and its exit status (128 + the signal number).
    """

    def __init__(self, signum: int, finished: int, total: int):
        import signal

        self.signum = signum
        self.finished = finished
        self.total = total
        super().__init__(
            f"avbrutet ({signal.Signals(signum).name}) efter {finished} av {total} kapitel; "
            "nästa 'fouanalys build' gör resten."
        )


class NetworkModelError(FouanalysError):
    """Raised for an unusable graph, threshold, model parameter or collaboration entry; names it."""


class FetchError(FouanalysError):
    """Raised when public data cannot be fetched: offline, an unknown id, an unexpected answer.

    Nothing is written when it is raised; the message names the service and the URL.
    """


class CellFormatError(FetchError, ValueError):
    """Raised when one cell of an existing fetched file cannot be read; carries the cell text."""


class DisclosureAuditError(FouanalysError):
    """Raised when a built report publishes a group of 1–4; names the chapter, table and cell."""
