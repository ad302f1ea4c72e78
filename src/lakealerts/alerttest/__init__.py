"""Alert unit tests (``lakealerts test``, DESIGN §11): fixtures in, states and messages out, without a workspace.

``spec`` reads the ``*.test.yaml`` format, ``fixtures`` turns its tables into typed inline relations,
``runner`` drives the runtime's own path per test, ``checks`` compares, ``routing`` checks a rule set's channels,
``report`` renders text, ``--diff``, JSON and JUnit.
"""
