"""Helpers the test modules share that are not rows (rows come from tests/factories.py).

Plain modules: test modules and conftest files import from here, never from one another
(tests/test_structure.py checks).

- pipeline: the broker's tasks, running them and the pipeline loop in this process
- pages: reading the pages the views answer with (HTMX header, one field's markup, share tokens)
- simulator_api: talking to the LTX simulator's API as a client would
- ltx_fakes: scripted transports, a fake clock and canned bodies for the LTX client's tests
- browser: where the browser tests find Chromium
"""
