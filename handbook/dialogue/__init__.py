"""The conversation as a pure function: views, buttons, rendering, interface texts."""
