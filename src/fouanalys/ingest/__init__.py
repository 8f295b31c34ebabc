"""Reading, checking and processing raw data, the synthetic example, and fetching public data."""
