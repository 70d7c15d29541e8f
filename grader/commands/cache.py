"""`grade cache info|clear`: the cache of graded scenarios (grader/cache.py)."""

from __future__ import annotations

from pathlib import Path

from ..cache import ResultCache, default_cache_dir
from ..i18n import _, choose, lang_option, use


def cmd_cache(argv: list[str]) -> int:
    """`grade cache info|clear [--cache-dir DIR]`."""
    import argparse

    p = argparse.ArgumentParser(prog="grade cache", description=_("The cache of graded scenarios (see --no-cache)."))
    p.add_argument("action", choices=["info", "clear"], help=_("info: where it is, entries, size; clear: empty it"))
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help=_("the cache folder (default: $LABGRADE_CACHE, else $XDG_CACHE_HOME/labgrade or "
                          "~/.cache/labgrade)"))
    lang_option(p)
    args = p.parse_args(argv)
    use(choose(args.lang, None))
    cache = ResultCache(args.cache_dir or default_cache_dir())
    if args.action == "clear":
        print(_("removed {n} cached result(s) from {folder}").format(n=cache.clear(), folder=cache.entries))
    else:
        info = cache.info()
        print(_("{folder}: {n} cached result(s), {size:.1f} MB").format(folder=info.path, n=info.entries,
                                                                         size=info.bytes / 1e6))
    return 0
