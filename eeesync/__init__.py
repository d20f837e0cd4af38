"""eeesync: plan and apply Every Eval Ever results as Hugging Face Community Evals pull requests."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("eeesync")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"
