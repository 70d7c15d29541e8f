"""`grade image build`: the docker backend's grading image (grader/image.py)."""

from __future__ import annotations

import argparse

from ..errors import UsageError
from ..i18n import _, choose, lang_option, use
from ..image import DEFAULT_BASE, IMAGE, OFFLINE_BASE, build


def cmd_image(argv: list[str]) -> int:
    """`grade image build [--offline] [--base IMAGE] [--force]`."""
    p = argparse.ArgumentParser(prog="grade image", description=_("Manage the docker backend's grading image."))
    sub = p.add_subparsers(dest="action", required=True)
    b = sub.add_parser("build", help=_("build {image} (skipped when it is already up to date)").format(image=IMAGE))
    b.add_argument("--offline", action="store_true",
                   help=_("no image registry: make the base ({base}) from Debian packages with debootstrap, "
                          "from the mirror apt uses here, then build on it").format(base=OFFLINE_BASE))
    b.add_argument("--base", metavar="IMAGE",
                   help=_("base image with Python 3.11+ (default: {default}, or {offline} with --offline)").format(
                       default=DEFAULT_BASE, offline=OFFLINE_BASE))
    b.add_argument("--force", action="store_true", help=_("rebuild even if the image is up to date"))
    lang_option(b)
    args = p.parse_args(argv)
    use(choose(args.lang, None))
    if args.action != "build":  # pragma: no cover - argparse allows only "build"
        raise UsageError(_("unknown action {action}").format(action=args.action))
    build(offline=args.offline, base=args.base, force=args.force, log=lambda s: print(s, flush=True))
    return 0
