"""Case files: reading with positions, the format's schema, validation, timelines."""
