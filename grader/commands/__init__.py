"""`grade`'s sub-commands, one module each; grader/cli.py registers them and maps errors to exit codes.

    grade.py               grade SUBMISSIONS [-a LAB] [--backend ...] [-j N] [-o DIR]  (the default command)
    selfcheck.py           grade selfcheck LAB
    check.py               grade check [FOLDER] [-a LAB]     (a student's own check, visible tests only)
    new.py                 grade new LAB [--dir DIR]
    scenarios.py           grade scenarios LAB
    publish.py             grade publish LAB -o DIR          (the student edition of a lab)
    merge.py               grade merge OUT_DIR... [-o OUT]   (the shards of a `grade --shard K/N` run)
    cache.py               grade cache info|clear [--cache-dir DIR]
    image.py               grade image build [--offline]
    gradescope_package.py  grade gradescope-package -a LAB [-o FILE.zip]
    classroom.py           grade classroom init -a LAB [--repo DIR]

What the commands of a class run share (the console, the sandbox options, the progress display) is in
common.py and classprogress.py.
"""
