"""De-identification: staged content and the crosswalk become a project's research zone.

* :mod:`~enclave.deid.deidentify`: the stage (pseudonyms, generalisation, k-anonymity,
  minimisation to the project's approval);
* :mod:`~enclave.deid.stream`: the same, file to file in bounded memory;
* :mod:`~enclave.deid.pseudonym`: the master secret and keyed pseudonyms;
* :mod:`~enclave.deid.leakscan`: the identifier scan every research-zone file passes.
"""
