"""Command line: ``fouanalys validate|build|synth|fetch|mapping|lab`` (also
``python -m fouanalys``).

Each command parses its options, calls one library function and turns a
:class:`~fouanalys.exceptions.FouanalysError` into a short message and exit code 1. Usage errors
exit 2. ``--verbose`` shows tracebacks and debug logging.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from fouanalys import __version__
from fouanalys.config import (
    CELL_TIMEOUT,
    DEFAULT_SEED,
    EXAMPLE_DATA_DIR,
    KOLADA_BASE_URL,
    SCB_BASE_URL,
)
from fouanalys.exceptions import BuildInterrupted, DataValidationError, FouanalysError

if TYPE_CHECKING:
    from fouanalys.ingest.fetch.client import FetchSummary

log = logging.getLogger("fouanalys")

_LAB_DESCRIPTION = (
    "Starta JupyterLab på projektet, bara på den här datorn (127.0.0.1) och skyddad med en ny "
    "token. Adressen med token skrivs ut; öppna den i en webbläsare."
)
_DATA_HELP = "mapp med rådata (standard: $FOUANALYS_DATA_DIR eller de inbäddade exempeldata)"


def _data_dir(value: str | None) -> Path | None:
    return Path(value).expanduser().resolve() if value else None


def cmd_validate(args: argparse.Namespace) -> int:
    from fouanalys.build.folders import checked_folder
    from fouanalys.build.lock import output_lock, page_folder
    from fouanalys.config import default_data_dir, validation_report_dir
    from fouanalys.ingest.processing import require_data_dir
    from fouanalys.ingest.validation import validate_data_dir

    data_dir = require_data_dir(_data_dir(args.data_dir) or default_data_dir())
    report_dir = checked_folder(
        args.report_dir or validation_report_dir(data_dir),
        "mappen för valideringssidan",
        "--report-dir",
    )
    with output_lock([page_folder(report_dir)], "validate"):
        report, _ = validate_data_dir(data_dir, report_dir=report_dir)
    report_path = report_dir / "index.html"
    if report.ok:
        rows = ", ".join(f"{m['file']} ({m['rows']} rader)" for m in report.files.values())
        print(f"Indata i {data_dir} är giltiga: {rows}.")
        print(f"Valideringsrapport: {report_path}")
        return 0
    print(DataValidationError(report.problems, str(report_path)), file=sys.stderr)
    return 1


def cmd_build(args: argparse.Namespace) -> int:
    from fouanalys.build.runner import build, format_summary

    formats = tuple(f.strip() for f in args.formats.split(",") if f.strip())
    summary = build(
        municipalities=args.municipality,
        data_dir=_data_dir(args.data_dir),
        jobs=args.jobs,
        formats=formats,
        progress=not args.no_progress,
        force=args.force,
        cell_timeout=args.cell_timeout,
        scheduler=args.scheduler,
        wait=not args.no_wait,
        **{  # resolved by the build, which names a folder it cannot use
            key: Path(value).expanduser()
            for key, value in (
                ("processed_dir", args.processed_dir),
                ("reports_dir", args.reports_dir),
            )
            if value
        },
    )
    print(format_summary(summary))
    return 0 if summary.ok else 1


def cmd_synth(args: argparse.Namespace) -> int:
    from fouanalys.ingest.synthetic import write_example

    out = Path(args.out).expanduser().resolve()
    paths = write_example(out, seed=args.seed, scale=args.scale, municipalities=args.municipalities)
    for name, path in paths.items():
        print(f"{name}: {path}")
    if "codebook" in paths:
        print(
            f"Data för {args.municipalities} kommuner; kommunerna står i kodboken "
            f"{paths['codebook']}. Bygg med den:\n"
            f"    FOUANALYS_CODEBOOK={paths['codebook']} fouanalys build --data-dir {out}"
        )
    return 0


def _run_fetch(update: Callable[..., FetchSummary], args: argparse.Namespace, **wanted) -> int:
    """Run one fetcher's update with the options all fetch commands share; print its summary."""
    from fouanalys.config import default_data_dir

    summary = update(
        data_dir=_data_dir(args.data_dir) or default_data_dir(),
        years=args.years,
        base_url=args.base_url,
        refresh=args.refresh,
        **wanted,
    )
    print(summary.text())
    return 0


def cmd_fetch_kolada(args: argparse.Namespace) -> int:
    from fouanalys.ingest.fetch.kolada import update_kolada

    return _run_fetch(update_kolada, args, kpis=args.kpi, areas=args.municipality)


def cmd_fetch_befolkning(args: argparse.Namespace) -> int:
    from fouanalys.ingest.fetch.scb import update_befolkning

    return _run_fetch(update_befolkning, args, municipalities=args.municipality)


def cmd_mapping_template(args: argparse.Namespace) -> int:
    from fouanalys.ingest.mapping.template import write_template

    summary = write_template(
        args.municipality,
        Path(args.out).expanduser().resolve(),
        data_dir=_data_dir(args.data_dir),
        force=args.force,
    )
    print(summary.text())
    return 0


def cmd_mapping_import(args: argparse.Namespace) -> int:
    from fouanalys.ingest.mapping.returns import import_returns

    imported = import_returns(
        [Path(p).expanduser().resolve() for p in args.workbooks],
        data_dir=_data_dir(args.data_dir),
    )
    for outcome in imported:
        print("\n".join(outcome.lines()))
    return 0


def cmd_lab(args: argparse.Namespace) -> int:
    from fouanalys.build.lab import run_lab

    run_lab(port=args.port, open_browser=False if args.no_browser else None)
    return 0


def _add_fetch_parser(sub: argparse._SubParsersAction) -> None:
    """The subcommand ``fetch`` with one subcommand per source and their shared options."""
    p = sub.add_parser(
        "fetch",
        help="hämta offentliga data (Kolada, SCB) till datamappen",
        description=(
            "Hämta offentliga data till datamappen. Befintliga rader för samma urval ersätts, "
            "alla andra behålls; ingenting skrivs om hämtningen misslyckas."
        ),
    )
    sources = p.add_subparsers(dest="source", required=True, metavar="KÄLLA")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--years",
        type=_year_range,
        metavar="FRÅN-TILL",
        help="år, t.ex. 2015-2024 eller 2024",
    )
    common.add_argument(
        "--data-dir",
        metavar="MAPP",
        help="mapp med riktiga underlag att skriva till (skapas vid behov; standard: "
        "$FOUANALYS_DATA_DIR; exempelmappen med syntetiska data vägras)",
    )
    common.add_argument(
        "--refresh", action="store_true", help="fråga tjänsten igen även om svaret finns sparat"
    )

    k = _add_fetch_source(
        sources,
        common,
        "kolada",
        help="nyckeltal från Kolada till kolada.csv",
        description="Hämta nyckeltal från Kolada (standard: kodbokens nyckeltal, dess kommuner, "
        "länet och riket, 2010 till i år) och skriv dem till kolada.csv.",
        municipality_help="kommun, län (0001) eller riket (0000) att hämta (kan upprepas; "
        "standard: kodbokens kommuner, länet och riket)",
    )
    k.add_argument(
        "--kpi",
        action="append",
        metavar="ID",
        help="Kolada-id för ett nyckeltal, t.ex. N15428 (kan upprepas; standard: kodbokens)",
    )
    _add_base_url(k, "Koladas", KOLADA_BASE_URL, cmd_fetch_kolada)

    b = _add_fetch_source(
        sources,
        common,
        "befolkning",
        help="befolkning 0–25 år efter kön från SCB till befolkning.csv",
        description="Hämta folkmängden efter kommun, ålder 0–25 och kön från SCB:s tabell "
        "BefolkningNy (standard: kodbokens kommuner, från första enkätåret till senaste år) "
        "och skriv den till befolkning.csv.",
        municipality_help="kommun att hämta (kan upprepas; standard: kodbokens kommuner)",
    )
    _add_base_url(b, "SCB:s", SCB_BASE_URL, cmd_fetch_befolkning)


def _add_fetch_source(
    sources: argparse._SubParsersAction,
    common: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
    description: str,
    municipality_help: str,
) -> argparse.ArgumentParser:
    """The subcommand ``fetch <name>`` with the common options and ``--municipality``."""
    p = sources.add_parser(name, parents=[common], help=help, description=description)
    p.add_argument(
        "--municipality", "-m", action="append", metavar="KOD|NAMN", help=municipality_help
    )
    return p


def _add_base_url(
    p: argparse.ArgumentParser, whose: str, default: str, func: Callable[..., int]
) -> None:
    """A fetch source's ``--base-url`` (last in its help) and the command it runs."""
    p.add_argument(
        "--base-url",
        default=default,
        metavar="URL",
        help=f"{whose} API-adress, för tester och speglar (standard: {default})",
    )
    p.set_defaults(func=func)


def _year_range(text: str) -> tuple[int, int]:
    """``2015-2024`` or ``2024`` as (from, to); a usage error for anything else."""
    match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–]\s*(\d{4})\s*)?", text)
    if not match:
        raise argparse.ArgumentTypeError(
            f"'{text}' är inga år; skriv ett år (2024) eller ett intervall (2015-2024)"
        )
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if first > last:
        raise argparse.ArgumentTypeError(f"'{text}': första året kommer efter det sista")
    if first < 1990 or last > 2100:
        raise argparse.ArgumentTypeError(f"'{text}': åren ska ligga mellan 1990 och 2100")
    return first, last


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fouanalys",
        description="Forskningsverkstad för FoU Nordväst: validera indata, bygg kapitel.",
    )
    parser.add_argument("--version", action="version", version=f"fouanalys {__version__}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="visa felsökningsloggar och fullständiga tracebacks",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")

    p = sub.add_parser("validate", help="läs och validera alla rådatafiler")
    p.add_argument("--data-dir", help=_DATA_HELP)
    p.add_argument(
        "--report-dir",
        metavar="MAPP",
        help="mapp för valideringsrapporten (standard: reports/validation för standarddata, "
        "annars MAPP-validering bredvid datamappen)",
    )
    p.set_defaults(func=cmd_validate)

    _add_build_parser(sub)

    p = sub.add_parser("synth", help="skapa de syntetiska exempeldata på nytt")
    p.add_argument("--out", default=str(EXAMPLE_DATA_DIR), help="målmapp")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="slumpfrö")
    p.add_argument(
        "--scale",
        type=_positive_float,
        default=1.0,
        help="storleksfaktor (större data för prestandamätning)",
    )
    p.add_argument(
        "--municipalities",
        type=_positive_int,
        default=None,
        metavar="ANTAL",
        help="data för så många kommuner (26: hela Stockholms län; fler: också påhittade "
        "kommuner) och en kodbok för dem i målmappen",
    )
    p.set_defaults(func=cmd_synth)

    _add_fetch_parser(sub)
    _add_mapping_parser(sub)
    _add_lab_parser(sub)
    return parser


def _add_build_parser(sub: argparse._SubParsersAction) -> None:
    """The subcommand ``build`` and its options."""
    p = sub.add_parser("build", help="validera, bearbeta och bygg alla kapitel och rapporter")
    p.add_argument(
        "--municipality",
        "-m",
        action="append",
        metavar="KOD|NAMN",
        help="bygg bara denna kommun (kan upprepas)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_positive_int,
        default=None,
        help="antal parallella processer (standard: antal kärnor)",
    )
    p.add_argument(
        "--force", action="store_true", help="bygg om allt, även det som inte har ändrats"
    )
    p.add_argument(
        "--scheduler",
        metavar="ADRESS",
        help="kör kapitlen på ett Dask-kluster, t.ex. tcp://värd:8786 (standard: lokala processer)",
    )
    p.add_argument(
        "--cell-timeout",
        type=_positive_int,
        default=CELL_TIMEOUT,
        metavar="SEKUNDER",
        help=f"längsta tid för en notebookcell innan kapitlet avbryts (standard {CELL_TIMEOUT})",
    )
    p.add_argument("--data-dir", help=_DATA_HELP)
    p.add_argument("--formats", default="html,pdf", help="exportformat, t.ex. html,pdf")
    p.add_argument(
        "--processed-dir", metavar="MAPP", help="mapp för bearbetade tabeller (data/processed)"
    )
    p.add_argument("--reports-dir", metavar="MAPP", help="mapp för rapporterna (reports)")
    p.add_argument("--no-progress", action="store_true", help="visa ingen förloppsindikator")
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="avbryt i stället för att vänta när ett annat bygge skriver i samma mappar",
    )
    p.set_defaults(func=cmd_build)


def _add_mapping_parser(sub: argparse._SubParsersAction) -> None:
    """The subcommand ``mapping`` with ``template`` and ``import``."""
    p = sub.add_parser(
        "mapping",
        help="kartläggningen: mall till kommunen och inläsning av den ifyllda arbetsboken",
        description=(
            "Kartläggningen av insatser som Excel-arbetsbok: skriv en förifylld mall för en "
            "kommun, och läs in de ifyllda arbetsböckerna som nya kartläggningsomgångar."
        ),
    )
    steps = p.add_subparsers(dest="step", required=True, metavar="STEG")
    t = steps.add_parser(
        "template",
        help="skriv kartläggningsmallen för en kommun",
        description=(
            "Skriv kartläggningsmallen (.xlsx) för en kommun, förifylld med kommunens senaste "
            "kartläggningsomgång i datamappen."
        ),
    )
    t.add_argument("--municipality", "-m", required=True, metavar="KOD|NAMN", help="kommunen")
    t.add_argument(
        "--out", required=True, type=_xlsx_path, metavar="FIL.xlsx", help="arbetsboken att skriva"
    )
    t.add_argument("--data-dir", metavar="MAPP", help=_DATA_HELP)
    t.add_argument("--force", action="store_true", help="skriv över FIL.xlsx om den finns")
    t.set_defaults(func=cmd_mapping_template)
    i = steps.add_parser(
        "import",
        help="läs in ifyllda arbetsböcker som nya kartläggningsomgångar",
        description=(
            "Läs in ifyllda kartläggningsarbetsböcker. Varje rad kontrolleras som insatser.csv; "
            "är allt rätt sparas varje arbetsbok som en ny omgång i MAPP/kartlaggning/<kod>/, "
            "annars listas alla problem och ingenting sparas. insatser.csv ändras aldrig."
        ),
    )
    i.add_argument("workbooks", nargs="+", metavar="FIL.xlsx", help="ifyllda arbetsböcker")
    i.add_argument("--data-dir", metavar="MAPP", help=_DATA_HELP)
    i.set_defaults(func=cmd_mapping_import)


def _xlsx_path(text: str) -> str:
    """A file name ending in .xlsx; a usage error for anything else."""
    if not text.lower().endswith(".xlsx"):
        raise argparse.ArgumentTypeError(f"'{text}': mallen är en Excel-arbetsbok, FIL.xlsx")
    return text


def _add_lab_parser(sub: argparse._SubParsersAction) -> None:
    """The subcommand ``lab`` and its options."""
    lab_help = "öppna JupyterLab på notebookmappen med projektets kärna"
    p = sub.add_parser("lab", help=lab_help, description=_LAB_DESCRIPTION)
    p.add_argument(
        "--port",
        type=_port,
        default=None,
        help="port att lyssna på (standard: första lediga från 8888)",
    )
    p.add_argument(
        "--no-browser",
        action="store_true",
        help="öppna ingen webbläsare (görs ändå inte utan grafisk skärm)",
    )
    p.set_defaults(func=cmd_lab)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("måste vara minst 1")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("en port ligger mellan 1 och 65535")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("måste vara större än 0")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``fouanalys`` console script; returns the exit status."""
    parser = make_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="fouanalys: %(message)s",
        stream=sys.stderr,
    )
    if not args.verbose:
        for noisy in (
            "great_expectations",
            "papermill",
            "traitlets",
            "fontTools",
            "weasyprint",
            "matplotlib",
            "urllib3",
        ):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    from fouanalys.build.interrupt import stop_signals

    try:
        with stop_signals():  # SIGTERM stops a command as Ctrl-C does, running its clean-ups
            return args.func(args)
    except BuildInterrupted as exc:
        print(f"fouanalys: {exc}", file=sys.stderr)
        return 128 + exc.signum
    except FouanalysError as exc:
        if args.verbose:
            traceback.print_exc()
        print(f"fouanalys: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        print(f"fouanalys: avbrutet ({signal.Signals(signum).name}).", file=sys.stderr)
        return 128 + signum
    except Exception as exc:
        if args.verbose:
            traceback.print_exc()
        print(
            f"fouanalys: oväntat fel: {type(exc).__name__}: {exc}\n"
            "Kör igen med --verbose för detaljer.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
