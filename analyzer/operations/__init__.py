"""Access Analyzer actions: one ``@operation`` per action (authorize, one transaction, audit).

Import an operation from its module (``from analyzer.operations import analyzers``;
``analyzers.create_analyzer(...)``): each module's ``__all__`` lists its operations, and
the package re-exports nothing, so an import names where the code lives.

- ``common``: ARNs, authorization, validation errors, paging, analyzer lookups.
- ``analyzers``: the analyzers, their configuration and tags.
- ``archive_rules``: archive rules, and applying one to the findings.
- ``findings``: bringing findings up to date, listing, updating, statistics.
- ``access_previews``: the findings a proposed trust policy would produce.
- ``policy_checks``: ValidatePolicy and the custom policy checks.
- ``policy_generation``: a least-privilege policy from what a principal did.

Error texts that AWS's documentation does not give are marked where they are written.
"""
