"""Concrete I/O of the cloud side; each module imports one third-party I/O library."""
