"""Fuzz harnesses: targets and oracles (targets.py), our protocol in memory (inproc.py), hypothesis
strategies (strategies.py), and the atheris entry point (atheris_main.py). tests/security/test_fuzz.py
runs them under hypothesis; `make fuzz` runs both longer."""
