#!/bin/sh
exec /usr/bin/python3 tests/scenarios/runner_test.py
