"""Hostile: ends itself with a real-time signal (40), which Python's signal.Signals does not
name: any signal a program dies of is the student's outcome, never a grader error."""
import os

os.kill(os.getpid(), 40)
