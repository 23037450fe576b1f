"""The SOP catalogue as data (YAML) and its loader and validator (``sops.loader``)."""
