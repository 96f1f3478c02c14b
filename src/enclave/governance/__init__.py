"""Governance as code: the enterprise agreement, project approvals and the audit log.

* :mod:`~enclave.governance.agreement`: ``governance/agreement.yaml``, the thirteen
  parties, their datasets, stewards, disclosure rules and the permitted purposes;
* :mod:`~enclave.governance.projects`: ``governance/projects/<id>.yaml``, a request
  and its approvals; a project is provisioned only with every steward's sign-off;
* :mod:`~enclave.governance.audit`: the append-only, keyed-hash-chained audit log.

docs/governance.md describes the model and the log's format.
"""
