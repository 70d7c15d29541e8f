"""What the class-grading commands (grade, selfcheck) share: the console, the sandbox options, stale reports."""

from __future__ import annotations

import argparse
import os

from rich.console import Console
from rich.markup import escape

from ..i18n import _, lang_option
from ..outdir import Stale
from ..run import SIDE_BY_SIDE, at_least_one
from ..sandbox import BACKENDS
from ..text import visible

console = Console(stderr=False, highlight=False)


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["auto", *BACKENDS], default="auto",
                        help=_("sandbox: local Linux namespaces, Docker containers, or (inside a container that "
                               "allows neither) a uid per scenario (default: auto, in that order of preference)"))
    parser.add_argument("-j", "--jobs", type=at_least_one, default=os.cpu_count() or 1, metavar="N",
                        help=_("submissions graded at once (default: number of CPUs)"))
    parser.add_argument("--side-by-side", type=at_least_one, default=SIDE_BY_SIDE, metavar="N",
                        help=_("scenarios of a submission graded at once, each in its own sandbox (default: "
                               "{n}; 1: one after another); the grades are the same").format(n=SIDE_BY_SIDE))
    lang_option(parser)


def say_stale(stale: Stale) -> None:
    for message in stale.messages():
        console.print(escape(visible(message)), soft_wrap=True)
