"""junit.xml: the class as JUnit XML, for CI dashboards (GitLab, Jenkins, GitHub test reporters).

    <testsuites name=ASSIGNMENT tests= failures= errors= skipped= time=>
      <testsuite name=SUBMISSION tests= failures= errors= skipped= time=>
        <properties> score, max_score, percent (and `not_graded` with the reason, if so; `findings`,
                     the submission's findings joined with " | ", if it has any; `overrides`, the
                     instructor's overrides of its grade and tests joined with " | ", if any) </properties>
        <testcase classname=ASSIGNMENT name=TEST time=DURATION>
          <properties><property name="override" value="TEST: 2 instead of 0 (reason)"/></properties>
             when an instructor set the test's points (its outcome stays the grader's)
          <failure message="first line of the feedback" type="failed">the whole feedback</failure>
          or <error ...> when the grader, not the student, failed (an instructor must look)
          or <skipped message="Not run: why">the whole output</skipped> for a test not run (a test
             it requires did not pass, a file is missing, the program could not start): not a failure
        </testcase>
        <system-out> the submission's findings, one a line, if it has any </system-out>
        <system-err> why the submission could not be graded, if it could not </system-err>

Student output goes into the file, so every text is made valid XML 1.0 first: characters XML 1.0
cannot hold (NUL, ESC and the other C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF)
are written as visible escapes (`\\x1b`, `\\udc80`) instead.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from ..results import ClassResult, SubmissionResult, TestResult
from .gradebook import findings_text, number, one_line, percent

# XML 1.0 section 2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MESSAGE_CHARS = 200


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 cannot hold replaced by a visible Python-style escape."""
    return NOT_XML.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def first_line(text: str) -> str:
    line = next((s.strip() for s in text.splitlines() if s.strip()), "")
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


def seconds(x: float) -> str:
    return f"{x:.3f}"


def outcome(test: TestResult) -> str:
    """The testcase's child: "" (passed), "error" (the grader failed: an instructor must look),
    "skipped" (not run) or "failure"."""
    if test.status == "passed":
        return ""
    if test.error:
        return "error"
    return "skipped" if test.status == "not_run" else "failure"


def testcase(assignment: str, test: TestResult) -> ET.Element:
    case = ET.Element("testcase", classname=xml_text(assignment), name=xml_text(test.name),
                      time=seconds(test.duration))
    kind = outcome(test)
    if test.override:
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="override",
                      value=xml_text(test.override.line(test.name)))
    if kind == "skipped":
        ET.SubElement(case, kind, message=xml_text(first_line(test.output))).text = xml_text(test.output)
    elif kind:
        detail = ET.SubElement(case, kind, message=xml_text(first_line(test.output)),
                               type="grader-error" if test.error else "failed")
        detail.text = xml_text(test.output)
    return case


def properties(sub: SubmissionResult) -> ET.Element:
    props = ET.Element("properties")
    values = {"score": number(sub.score), "max_score": number(sub.max_score),
              "percent": number(percent(sub.score, sub.max_score))}
    if sub.error:
        values["not_graded"] = first_line(sub.error)
    if sub.findings:
        values["findings"] = findings_text(sub.findings)
    if sub.overrides:
        values["overrides"] = findings_text(sub.override_lines())
    for key, value in values.items():
        ET.SubElement(props, "property", name=key, value=xml_text(value))
    return props


def testsuite(assignment: str, sub: SubmissionResult) -> ET.Element:
    kinds = [outcome(t) for t in sub.tests]
    suite = ET.Element("testsuite", name=xml_text(sub.name), tests=str(len(sub.tests)),
                       failures=str(kinds.count("failure")), errors=str(kinds.count("error")),
                       skipped=str(kinds.count("skipped")), time=seconds(sum(t.duration for t in sub.tests)))
    suite.append(properties(sub))
    suite.extend(testcase(assignment, t) for t in sub.tests)
    if sub.findings:
        ET.SubElement(suite, "system-out").text = xml_text("\n".join(map(one_line, sub.findings)))
    if sub.error:
        ET.SubElement(suite, "system-err").text = xml_text(sub.error)
    return suite


def junit_tree(result: ClassResult) -> ET.ElementTree:
    suites = [testsuite(result.assignment, s) for s in result.submissions]
    root = ET.Element("testsuites", name=xml_text(result.assignment),
                      tests=str(sum(int(s.get("tests", 0)) for s in suites)),
                      failures=str(sum(int(s.get("failures", 0)) for s in suites)),
                      errors=str(sum(int(s.get("errors", 0)) for s in suites)),
                      skipped=str(sum(int(s.get("skipped", 0)) for s in suites)),
                      time=seconds(sum(t.duration for s in result.submissions for t in s.tests)))
    root.extend(suites)
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(result: ClassResult, out: Path) -> list[Path]:
    path = out / "junit.xml"
    junit_tree(result).write(path, encoding="utf-8", xml_declaration=True)
    return [path]
