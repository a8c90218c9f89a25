"""The `helpdesk` command line (bot/cli/main.py) and its sub-commands."""
