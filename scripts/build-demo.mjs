// Placeholder: the demo target build lands with the TUI (issue 5).
