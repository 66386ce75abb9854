"""The handbook's content: model, YAML loading and validation, editors' markup, the live library."""
