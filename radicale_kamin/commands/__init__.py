"""Sub-commands of ``kamin``; see ``radicale_kamin.cli``."""
