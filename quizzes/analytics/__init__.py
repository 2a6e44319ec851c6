"""Item statistics, reliability and gradebook reads (educators' analytics)."""
