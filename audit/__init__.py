"""The audit trail: every console and API call, allowed or denied.

One home for the event model (``audit.models.AuditEvent``), its writer
(``audit.trail.record_event``, called by every operation and by ``@operation``
for failures) and its reader (``audit.operations.lookup_events``, CloudTrail's
LookupEvents, used by the console's event history).
"""
