"""Activation exports: audience membership deltas sent through dlt to files or a webhook.

``config`` reads ``activation.yml``; ``hashing`` normalises and hashes ad-platform identifiers;
``ledger`` keeps what was exported in the warehouse (schema ``activation``); ``deltas`` plans the
adds and removes of a run; ``destinations`` builds the dlt pipelines; ``exporter`` runs it all.
"""
