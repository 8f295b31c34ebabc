"""Clients for public data: the shared HTTP layer, Kolada and SCB."""
