"""Webhooks: signed events pushed to the admin's subscribers (docs/webhooks.md).

The pure core — what an event is and when a change makes one
(``events``), the due-calls item and when a call enters the list
(``duecalls``), the signature (``signature``), the subscribers file
(``subscribers``) and the retry policy (``retry``) — is plain functions
over plain data. The shell stores and sends: ``outbox`` (the tables in the
durable state store), ``observer`` (what the side index sees, written to
the outbox before the index commits), ``delivery`` (one HTTP POST) and
``dispatcher`` (the background thread and ``kamin webhooks deliver-once``).
Nothing here imports Radicale or the server: ``server/webhooks.py`` wires
it to the storage plugin.
"""
