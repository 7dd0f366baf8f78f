"""seedmt.core: what every stage shares and none owns: user-facing errors, FLORES-200 codes and scripts,
atomic file writes."""
