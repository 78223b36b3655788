"""Riffcut's tests (a package, so that every module has one name: tests.bot.conftest, tests.media.conftest, ...)."""
