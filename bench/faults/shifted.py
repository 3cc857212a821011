"""Runs a command-line program of the venv (celery) with its clock moved by SECONDS, ticking on:
a worker whose clock runs ahead of the database's, or a beat started again after a stop of
SECONDS (time-machine, as the project's tests move time).

    shifted.py SECONDS PROGRAM [ARGS...]"""

import runpy
import sys
import time

import time_machine

if __name__ == "__main__":
    seconds, program, *args = sys.argv[1:]
    sys.argv = [program, *args]
    with time_machine.travel(time.time() + float(seconds), tick=True):
        runpy.run_path(program, run_name="__main__")
