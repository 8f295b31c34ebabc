"""Report chapters: each chapter's display code and figures, and the registry of chapters."""
