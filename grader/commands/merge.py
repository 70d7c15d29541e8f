"""`grade merge OUT_DIR...`: the reports of one run from the folders of `grade --shard K/N` runs (grader/merge.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import UsageError
from ..i18n import _, choose, lang_option, use
from ..merge import check_shards, copy_logs, merge, read_results
from ..overrides import apply_overrides, check, lab_names, load_overrides, overrides_option, result_targets
from ..report import write_all
from ..report.github import report_to_actions


def cmd_merge(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade merge",
                                description=_("Combine the output folders of `grade --shard K/N` runs into the "
                                              "reports of one run over the whole class."))
    p.add_argument("folders", type=Path, nargs="+", metavar="OUT_DIR", help=_("the -o folder of each shard"))
    p.add_argument("-o", "--out", type=Path, default=Path("grading-report"), metavar="OUT",
                   help=_("where the merged reports go (default: grading-report/)"))
    overrides_option(p)
    lang_option(p)  # the reports' own words: the shards' feedback stays in the language each was graded in
    args = p.parse_args(argv)
    use(choose(args.lang, None))
    folders = list(dict.fromkeys(args.folders))
    if len(folders) != len(args.folders):
        raise UsageError(_("the same folder is given twice: each shard's folder once"))
    check_shards(folders)
    result = merge([(f, read_results(f)) for f in folders])
    if args.overrides:  # every entry must name a submission of the class; without a file, the shards' stay
        overrides = load_overrides(args.overrides, lab_names(result))
        check(overrides, result_targets(result))
        result = apply_overrides(result, overrides)
    args.out.mkdir(parents=True, exist_ok=True)
    copy_logs(folders, args.out)
    write_all(result, args.out)
    report_to_actions(result)  # in GitHub Actions only: job summary and annotations
    print(_("merged {folders} folder(s): {n} submission(s) of {lab} in {out}/ (results.json, grades.csv, junit.xml, "
            "report.html, Gradescope folders)").format(folders=len(folders), n=len(result.submissions),
                                                       lab=result.assignment, out=args.out))
    return 0
