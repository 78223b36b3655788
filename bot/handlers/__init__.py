"""Telegram update handlers, one module per part of the conversation; `register` adds them all."""
