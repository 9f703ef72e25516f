"""IEC 62443 knowledge as read-only packaged data: requirement catalogs, ATT&CK for ICS extract (design §2)."""
