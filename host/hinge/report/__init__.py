"""The runner's report of a session log (terminal text, HTML, figures)."""
