"""One blueprint package per role area, plus `complaints` for the complaint page every role shares."""
