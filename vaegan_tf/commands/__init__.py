"""The ``vaegan-tf`` subcommands; each module has ``main(argv) -> exit code``."""
