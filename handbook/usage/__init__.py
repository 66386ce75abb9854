"""Anonymous usage: events, the usage log, user settings, staff figures and reports."""
