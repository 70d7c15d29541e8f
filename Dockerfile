# The docker backend's grading image (labgrade-grader:<version>): `grade image build [--offline]`,
# or by hand: docker build -t labgrade-grader:0.1.0 [--build-arg BASE=labgrade-base:bookworm] - < Dockerfile
#
# The in-sandbox driver is standard library only and is mounted read-only at run time under /grader
# (with the reference solution), so the image needs only a Python 3.11+ interpreter:
#   * /usr/local/bin/python3 on every base (the official image has it; Debian's /usr/bin/python3 is linked there),
#   * /grader: root only (0700), so the student's uid cannot read the reference or the grader,
#   * /submission: where the staged submission is bind-mounted read-only.
ARG BASE=python:3.11-slim
FROM ${BASE}
RUN set -eu; \
    if [ ! -e /usr/local/bin/python3 ]; then mkdir -p /usr/local/bin; ln -s /usr/bin/python3 /usr/local/bin/python3; fi; \
    /usr/local/bin/python3 -I -c 'import sys; assert sys.version_info >= (3, 11), sys.version'; \
    mkdir -p /grader/lib/grader /grader/reference /submission; \
    chown -R 0:0 /grader; chmod 0700 /grader; chmod 0755 /submission
WORKDIR /
CMD ["/usr/local/bin/python3"]
